/**
 * How well the review's checks (libs/matcher/src/review-checks.ts) tell right corrections from wrong ones on real
 * faces: reads a face dump (`{"photos":[{"person","file","faces":[{"box","descriptor"}]}]}`, the largest face of
 * each photo taken) and prints, at the configured MATCH_THRESHOLD and enrolment disagreement bound:
 *
 * - enrolment pairs: the share of same-person and different-person pairs farther apart than the bound;
 * - flagged persons: all photos of one person enrolled (should not be flagged) vs the same plus one photo of
 *   someone else (should be, with that photo the odd one out);
 * - "This is …": a photo assigned to its own person (enrolled from their first photo) vs to another known
 *   person, vs a stranger's photo to a known person — the share answered 409;
 * - naming a group: a group of one person's photos with one stranger's photo chained in, named after that
 *   person — the share where the stranger is asked about, and where a right face is.
 *
 *   npm run bench:review-checks -- <dump.json>
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '@visage/config';
import { RECIPE_OPERATING_POINTS } from '@visage/domain';
import { EnrolmentRow, findDisagreements, findMisfits, Gallery } from '@visage/matcher';
import { machineLine } from './machine';
import { dumpDescriptor } from './identity/face-dump';

interface DumpFace {
  box: { width: number; height: number };
  descriptor: number[];
}
interface Dump {
  engine: string;
  photos: Array<{ person: string; file: string; faces: DumpFace[] }>;
}

const dumpPath = process.argv[2];
if (!dumpPath) throw new Error('usage: npm run bench:review-checks -- <face dump .json>');
const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as Dump;
const config = parseConfig(process.env);
const threshold = config.MATCH_THRESHOLD;
// BENCH_DISAGREEMENT_BOUND: another bound to measure (default: the configured recipe's).
const bound = Number(process.env.BENCH_DISAGREEMENT_BOUND ?? RECIPE_OPERATING_POINTS[config.FACE_DESCRIPTOR_RECIPE].enrolmentDisagreement);

/** Photos by person, each as the descriptor of its largest face (photos without a face left out). */
const byPerson = new Map<string, Float32Array[]>();
for (const photo of dump.photos) {
  if (photo.faces.length === 0) continue;
  const largest = photo.faces.reduce((a, b) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
  byPerson.set(photo.person, [...(byPerson.get(photo.person) ?? []), dumpDescriptor(largest.descriptor)]);
}
const known = [...byPerson.entries()].filter(([, photos]) => photos.length >= 3);
const strangers = [...byPerson.entries()].filter(([, photos]) => photos.length === 1).map(([, photos]) => photos[0]);
const percent = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;

// Enrolment pairs.
let samePairs = 0;
let sameOver = 0;
for (const [, photos] of known) {
  const gallery = new Gallery(photos.map((descriptor) => ({ personId: 0, personName: '', descriptor })));
  photos.forEach((descriptor, row) =>
    gallery.distancesTo(descriptor).forEach((distance, other) => {
      if (other <= row) return;
      samePairs++;
      if (distance > bound) sameOver++;
    }),
  );
}
const firsts = new Gallery(known.map(([, photos], index) => ({ personId: index + 1, personName: '', descriptor: photos[0] })));
let otherPairs = 0;
let otherOver = 0;
known.forEach(([, photos], row) =>
  firsts.distancesTo(photos[0]).forEach((distance, other) => {
    if (other <= row) return;
    otherPairs++;
    if (distance > bound) otherOver++;
  }),
);

// Flagged persons: each person's photos, then the same with one stranger added.
let id = 0;
const rows = (personId: number, photos: Float32Array[]): EnrolmentRow[] =>
  photos.map((descriptor) => ({ id: ++id, sourceName: `s${id}`, personId, personName: '', descriptor }));
const genuine = known.flatMap(([, photos], index) => rows(index + 1, photos));
const flaggedGenuine = findDisagreements(genuine, bound).size;
let flaggedMixed = 0;
let strangerIsOutlier = 0;
known.forEach(([, photos], index) => {
  const mixed = rows(index + 1, [...photos, strangers[index % strangers.length]]);
  const disagreement = findDisagreements(mixed, bound).get(index + 1);
  if (!disagreement) return;
  flaggedMixed++;
  if (disagreement.outlierEnrolmentIds.includes(mixed[mixed.length - 1].id)) strangerIsOutlier++;
});

// "This is …" against a gallery of every known person's first photo.
let rightAsked = 0;
let rightTried = 0;
let wrongAsked = 0;
let wrongTried = 0;
let strangerAsked = 0;
known.forEach(([, photos], index) => {
  for (const descriptor of photos.slice(1)) {
    rightTried++;
    if (findMisfits([{ faceId: 1, descriptor }], firsts, index + 1, threshold).length > 0) rightAsked++;
    wrongTried++;
    if (findMisfits([{ faceId: 1, descriptor }], firsts, ((index + 1) % known.length) + 1, threshold).length > 0) wrongAsked++;
  }
});
strangers.forEach((descriptor, index) => {
  if (findMisfits([{ faceId: 1, descriptor }], firsts, (index % known.length) + 1, threshold).length > 0) strangerAsked++;
});

// Naming a group: one person's other photos plus one stranger's, named after that (known) person, the gallery
// holding every known person's first photo.
let groups = 0;
let intruderAsked = 0;
let rightFaces = 0;
let rightFacesAsked = 0;
known.forEach(([, photos], index) => {
  const members = photos.slice(1).map((descriptor, member) => ({ faceId: member + 1, descriptor }));
  const intruder = { faceId: 99, descriptor: strangers[(index * 7) % strangers.length] };
  const asked = new Set(findMisfits([...members, intruder], firsts, index + 1, threshold).map((misfit) => misfit.faceId));
  groups++;
  if (asked.has(intruder.faceId)) intruderAsked++;
  rightFaces += members.length;
  rightFacesAsked += members.filter((member) => asked.has(member.faceId)).length;
});

console.log(
  `review checks on ${dumpPath} (${dump.engine}); ${known.length} people with 3+ photos, ${strangers.length} with one; MATCH_THRESHOLD ${threshold}, enrolment disagreement bound ${bound}`,
);
console.log(
  `enrolment pairs over the bound: same person ${percent(sameOver, samePairs)} of ${samePairs}, different people ${percent(otherOver, otherPairs)} of ${otherPairs}`,
);
console.log(
  `flagged persons: all photos of one person ${percent(flaggedGenuine, known.length)}; with one stranger's photo added ${percent(flaggedMixed, known.length)} (the stranger marked in ${percent(strangerIsOutlier, flaggedMixed)} of those)`,
);
console.log(
  `"This is …" answered 409: right person ${percent(rightAsked, rightTried)} of ${rightTried}; another known person ${percent(wrongAsked, wrongTried)}; a stranger to a known person ${percent(strangerAsked, strangers.length)} of ${strangers.length}`,
);
console.log(
  `naming a group with a stranger chained in: stranger asked about in ${percent(intruderAsked, groups)} of ${groups} groups; right faces asked about ${percent(rightFacesAsked, rightFaces)} of ${rightFaces}`,
);
console.log(machineLine());
