/**
 * The identity evaluation of issue #22 over a face dump (face-dump.ts): faces found, the open set (enrolled people
 * named, strangers not) and the grouping of unknown faces — matching, enrolment and grouping through the
 * production code (production.ts), never a re-implementation.
 *
 * Which face of a photo is the labelled person: the most prominent one (largest and most central, the enrolment
 * rule's `byProminence`); the other faces of the photo are bystanders, left out of the open set and of the
 * pairwise figures (they still take part in the grouping, as they would in production).
 */
import { VisageConfig } from '@visage/config';
import { byProminence } from '@visage/enrolment';
import { GalleryEntry } from '@visage/matcher';
import { DumpFace, DumpPhoto, dumpDescriptor, FaceDump } from './face-dump';
import { createMatcher, enrolmentOf, groupUnknownFaces, Matcher, withMatchThreshold } from './production';

export interface FacesFound {
  photos: number;
  /** Photos the recognizer refused (not an image, too small …): not counted in the shares below. */
  refused: number;
  withNone: number;
  withSeveral: number;
  /** Share of the analysed photos with at least one face. */
  found: number;
}

export interface OpenSetCounts {
  /** Submitted photos of enrolled people: named right, named as someone else, not named (no face counts here). */
  known: number;
  right: number;
  wrong: number;
  notNamed: number;
  /** Photos of people with a single photo, never enrolled: named as someone. */
  strangers: number;
  strangersNamed: number;
}

export interface OpenSetPoint extends OpenSetCounts {
  threshold: number;
}

export interface OpenSet {
  /** People with ≥ 3 photos whose first photo was enrolled; refused: that photo gave no enrolable face. */
  enrolled: number;
  enrolmentRefused: Array<{ file: string; reason: string }>;
  /** Enrolled from the dominant face of a photo with several. */
  enrolledFromSeveral: number;
  atOperatingPoint: OpenSetPoint;
  curve: OpenSetPoint[];
}

export interface Grouping {
  faces: number;
  groups: number;
  /** Of the pairs of labelled faces put in one group, the share that are one person. */
  pairwisePrecision: number;
  /** Of the pairs of labelled faces of one person, the share put in one group. */
  pairwiseRecall: number;
  /** Groups holding two faces of one photo (one person cannot be twice in a photo). */
  groupsWithTwoFacesOfAPhoto: number;
  largestGroup: number;
}

export interface IdentityEvaluation {
  facesFound: FacesFound;
  openSet: OpenSet;
  grouping: Grouping;
}

/** People with at least this many photos are enrolled (first photo) and the rest submitted. */
export const MIN_PHOTOS_TO_ENROL = 3;
/** The curve's thresholds: 0.30 … 0.70 by 0.02. */
export const CURVE_THRESHOLDS = Array.from({ length: 21 }, (_, index) => Number((0.3 + index * 0.02).toFixed(2)));

export function facesFound(dump: FaceDump): FacesFound {
  const analysed = dump.photos.filter((photo) => photo.error === undefined);
  const withNone = analysed.filter((photo) => photo.faces.length === 0).length;
  return {
    photos: dump.photos.length,
    refused: dump.photos.length - analysed.length,
    withNone,
    withSeveral: analysed.filter((photo) => photo.faces.length > 1).length,
    found: analysed.length === 0 ? 0 : (analysed.length - withNone) / analysed.length,
  };
}

/** The face a labelled photo is of (see the file comment); undefined without faces. */
export function subjectFace(photo: DumpPhoto): DumpFace | undefined {
  return byProminence(photo.faces, photo.width, photo.height)[0];
}

function photosByPerson(dump: FaceDump): Map<string, DumpPhoto[]> {
  const byPerson = new Map<string, DumpPhoto[]>();
  for (const photo of dump.photos) {
    if (photo.error !== undefined) continue;
    const list = byPerson.get(photo.person) ?? [];
    list.push(photo);
    byPerson.set(photo.person, list);
  }
  for (const list of byPerson.values()) list.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return byPerson;
}

function scoreOpenSet(
  match: Matcher,
  known: Array<{ person: string; descriptor?: Float32Array }>,
  strangers: Array<Float32Array | undefined>,
): OpenSetCounts {
  const counts: OpenSetCounts = { known: known.length, right: 0, wrong: 0, notNamed: 0, strangers: strangers.length, strangersNamed: 0 };
  for (const probe of known) {
    const found = probe.descriptor && match(probe.descriptor);
    if (!found?.matched) counts.notNamed++;
    else if (found.personName === probe.person) counts.right++;
    else counts.wrong++;
  }
  for (const descriptor of strangers) if (descriptor && match(descriptor)?.matched) counts.strangersNamed++;
  return counts;
}

const descriptorOf = (photo: DumpPhoto): Float32Array | undefined => {
  const face = subjectFace(photo);
  return face && dumpDescriptor(face.descriptor);
};

export async function openSet(dump: FaceDump, config: VisageConfig): Promise<OpenSet> {
  const entries: GalleryEntry[] = [];
  const enrolmentRefused: OpenSet['enrolmentRefused'] = [];
  let enrolledFromSeveral = 0;
  const known: Array<{ person: string; descriptor?: Float32Array }> = [];
  const strangers: Array<Float32Array | undefined> = [];
  for (const [person, photos] of photosByPerson(dump)) {
    if (photos.length === 1) strangers.push(descriptorOf(photos[0]));
    if (photos.length < MIN_PHOTOS_TO_ENROL) continue;
    const [first, ...rest] = photos;
    const enrolment = await enrolmentOf(first, config);
    if (enrolment.status === 'ok') {
      entries.push({ personId: entries.length + 1, personName: person, descriptor: enrolment.descriptor });
      if (enrolment.facesInPhoto > 1) enrolledFromSeveral++;
    } else {
      enrolmentRefused.push({ file: first.file, reason: enrolment.status });
    }
    // A person whose enrolment was refused is still submitted: a product that cannot enrol them cannot name them.
    for (const photo of rest) known.push({ person, descriptor: descriptorOf(photo) });
  }
  const point = (threshold: number): OpenSetPoint => ({
    threshold,
    ...scoreOpenSet(createMatcher(entries, withMatchThreshold(config, threshold)), known, strangers),
  });
  return {
    enrolled: entries.length,
    enrolmentRefused,
    enrolledFromSeveral,
    atOperatingPoint: point(config.MATCH_THRESHOLD),
    curve: CURVE_THRESHOLDS.map(point),
  };
}

/** A deterministic shuffle (mulberry32): faces reach the cluster job in the order photos arrive, not by person. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let index = out.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [out[index], out[other]] = [out[other], out[index]];
  }
  return out;
}

const pairs = (count: number) => (count * (count - 1)) / 2;

/** Every face of every photo grouped with nobody enrolled, photos in a shuffled order (`seed`). */
export function grouping(dump: FaceDump, config: VisageConfig, seed = 1): Grouping {
  const faces: Array<{ id: number; descriptor: Float32Array; photo: number; box: DumpFace['box']; person?: string }> = [];
  dump.photos.forEach((photo, photoIndex) => {
    const subject = subjectFace(photo);
    for (const face of photo.faces) {
      faces.push({
        id: faces.length + 1,
        descriptor: dumpDescriptor(face.descriptor),
        photo: photoIndex,
        box: face.box,
        person: face === subject ? photo.person : undefined,
      });
    }
  });
  const groupOf = groupUnknownFaces(shuffled(faces, seed), config);
  const members = new Map<number, typeof faces>();
  for (const face of faces) {
    const group = groupOf.get(face.id) as number;
    const list = members.get(group) ?? [];
    list.push(face);
    members.set(group, list);
  }
  let groupsWithTwoFacesOfAPhoto = 0;
  let largestGroup = 0;
  for (const list of members.values()) {
    largestGroup = Math.max(largestGroup, list.length);
    if (new Set(list.map((face) => face.photo)).size < list.length) groupsWithTwoFacesOfAPhoto++;
  }
  const scores = pairwiseScores([...members.values()], (face) => face.person);
  return {
    faces: faces.length,
    groups: members.size,
    pairwisePrecision: scores.precision,
    pairwiseRecall: scores.recall,
    groupsWithTwoFacesOfAPhoto,
    largestGroup,
  };
}

/**
 * Pairwise precision and recall of groups against labels: of the pairs of labelled faces grouped together, the
 * share with one label; of the pairs with one label, the share grouped together. Unlabelled faces are in no pair.
 */
export function pairwiseScores<T>(
  groups: ReadonlyArray<readonly T[]>,
  labelOf: (face: T) => string | undefined,
): { precision: number; recall: number } {
  let together = 0;
  let sameTogether = 0;
  const labelled: T[] = [];
  for (const group of groups) {
    const inGroup = group.filter((face) => labelOf(face) !== undefined);
    labelled.push(...inGroup);
    together += pairs(inGroup.length);
    for (const count of countBy(inGroup, (face) => labelOf(face) as string).values()) sameTogether += pairs(count);
  }
  let same = 0;
  for (const count of countBy(labelled, (face) => labelOf(face) as string).values()) same += pairs(count);
  return { precision: together === 0 ? 1 : sameTogether / together, recall: same === 0 ? 1 : sameTogether / same };
}

/** How many items have each key. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export async function evaluateIdentity(dump: FaceDump, config: VisageConfig): Promise<IdentityEvaluation> {
  return { facesFound: facesFound(dump), openSet: await openSet(dump, config), grouping: grouping(dump, config) };
}
