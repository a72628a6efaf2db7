/**
 * `npm run bench:open-set -- [dump.json]`: the open-set protocol of issue #22 on a face dump (bench/identity/face-dump.ts;
 * default /work/cache/lfw-faces.json), through the production matcher (Gallery.match and assignJointly), with
 * no recognizer: seconds per sweep.
 *
 * Protocol: people with ≥ 3 photos are enrolled from their first photo in which a face was found (ENROL=n: their
 * first n), their other photos submitted; people with one photo are strangers. In each photo the labelled face is
 * the one nearest the centre; every face of the photo is named together (nobody twice), as the processor does.
 * Photos where no face was found count in neither (detection is measured by the identity bench).
 *
 * Prints the curve (threshold × margin → known named right, wrong name, strangers named), the best threshold per
 * margin within the targets (strangers named ≤ 1 %, wrong ≤ 1 %), the same for a ratio margin (d1/d2), and the
 * figures at the configured MATCH_THRESHOLD / MATCH_MARGIN (environment, else the defaults). When the dump's
 * photos can be read (its `root`), also the configured face quality rule (QUALITY_*): how many labelled faces it
 * flags and why, and the open set with it (a low-quality face never named, a low-quality photo never enrolled).
 */
import { parseConfig } from '@visage/config';
import { FaceQualityReason, judgeFaceQuality, MatchRule, namedByRule } from '@visage/domain';
import { assignJointly, Gallery, GalleryEntry, matchRuleOf, qualityRuleOf } from '@visage/matcher';
import { DumpPhoto, readDump } from './identity/face-dump';
import { qualityOfDump } from './face-quality-inputs';
import { machineLine } from './machine';

/**
 * The index of the photo's labelled face: the one whose centre is nearest the photo's centre (LFW centres the
 * labelled person), the larger on a tie; -1 when no face was found.
 */
function labelledFace(photo: DumpPhoto): number {
  let best = -1;
  let bestOffset = Infinity;
  photo.faces.forEach((face, index) => {
    const offset = Math.hypot(face.box.x + face.box.width / 2 - photo.width / 2, face.box.y + face.box.height / 2 - photo.height / 2);
    const larger = best >= 0 && offset === bestOffset && face.box.width * face.box.height > photo.faces[best].box.width * photo.faces[best].box.height;
    if (offset < bestOffset || larger) {
      best = index;
      bestOffset = offset;
    }
  });
  return best;
}

const TARGET_STRANGERS = 0.01;
const TARGET_WRONG = 0.01;
const TARGET_RIGHT = 0.9;
const THRESHOLDS = range(0.3, 0.7, 0.01);
const MARGINS = range(0, 0.2, 0.01);
const RATIOS = range(0.7, 1, 0.01);

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let index = 0; from + index * step <= to + 1e-9; index++) values.push(Number((from + index * step).toFixed(4)));
  return values;
}

/** Whether face `index` of `photo` is of low quality (never named, never enrolled). */
type LowQuality = (photo: DumpPhoto, index: number) => boolean;

interface Probe {
  /** Enrolled person id, or null for a stranger. */
  personId: number | null;
  descriptors: Float32Array[];
  lowQuality: boolean[];
  labelled: number;
  /** The labelled face against the whole gallery, rule aside: nearest person, its distance, the next person's. */
  nearestPerson: number;
  nearest: number;
  second: number;
}

interface Outcome {
  right: number;
  wrong: number;
  unnamedKnown: number;
  strangersNamed: number;
  known: number;
  strangers: number;
}

const rate = (count: number, total: number) => (total === 0 ? 0 : count / total);
const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

function build(photos: DumpPhoto[], enrolPhotos: number, isLow: LowQuality = () => false): { gallery: Gallery; probes: Probe[]; enrolled: number } {
  const byPerson = new Map<string, DumpPhoto[]>();
  for (const photo of photos) byPerson.set(photo.person, [...(byPerson.get(photo.person) ?? []), photo]);
  const entries: GalleryEntry[] = [];
  const probes: Array<Omit<Probe, 'nearestPerson' | 'nearest' | 'second'>> = [];
  const faces = (photo: DumpPhoto) => ({
    descriptors: photo.faces.map((face) => Float32Array.from(face.descriptor)),
    lowQuality: photo.faces.map((_, index) => isLow(photo, index)),
    labelled: labelledFace(photo),
  });
  let personId = 0;
  for (const [name, personPhotos] of [...byPerson.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const found = personPhotos.sort((a, b) => a.file.localeCompare(b.file)).filter((photo) => labelledFace(photo) >= 0);
    if (personPhotos.length === 1 && found.length === 1) probes.push({ personId: null, ...faces(found[0]) });
    // Enrolment refuses a low-quality face: the first photos whose labelled face passes are enrolled.
    const enrolment = found.filter((photo) => !isLow(photo, labelledFace(photo))).slice(0, enrolPhotos);
    if (personPhotos.length < 3 || enrolment.length < enrolPhotos || found.length <= enrolPhotos) continue;
    personId += 1;
    for (const photo of enrolment) {
      entries.push({ personId, personName: name, descriptor: Float32Array.from(photo.faces[labelledFace(photo)].descriptor) });
    }
    for (const photo of found.filter((photo) => !enrolment.includes(photo))) probes.push({ personId, ...faces(photo) });
  }
  const gallery = new Gallery(entries);
  const anyone: MatchRule = { threshold: Infinity, margin: 0 };
  return {
    gallery,
    enrolled: personId,
    probes: probes.map((probe) => {
      const match = gallery.match(probe.descriptors[probe.labelled], anyone);
      return { ...probe, nearestPerson: match?.personId ?? 0, nearest: match?.distance ?? Infinity, second: match?.secondDistance ?? Infinity };
    }),
  };
}

/**
 * The protocol's counts under `rule`: a photo of one face is decided from the precomputed distances (the same
 * answer Gallery.match gives under the rule); a photo of several goes through assignJointly and Gallery.match.
 */
function evaluate(gallery: Gallery, probes: readonly Probe[], rule: MatchRule, named = namedByRule): Outcome {
  const outcome: Outcome = { right: 0, wrong: 0, unnamedKnown: 0, strangersNamed: 0, known: 0, strangers: 0 };
  for (const probe of probes) {
    let personId: number | null;
    if (probe.descriptors.length === 1) {
      personId = !probe.lowQuality[0] && named(rule, probe.nearest, probe.second) ? probe.nearestPerson : null;
    } else {
      const identities = assignJointly(
        probe.descriptors.map((descriptor, index) => ({ descriptor, lowQuality: probe.lowQuality[index] })),
        (descriptor, excluded) => gallery.match(descriptor, rule, excluded),
      );
      personId = identities[probe.labelled].personId;
    }
    if (probe.personId === null) {
      outcome.strangers += 1;
      if (personId !== null) outcome.strangersNamed += 1;
    } else {
      outcome.known += 1;
      if (personId === null) outcome.unnamedKnown += 1;
      else if (personId === probe.personId) outcome.right += 1;
      else outcome.wrong += 1;
    }
  }
  return outcome;
}

function describe(outcome: Outcome): string {
  return (
    `right ${percent(rate(outcome.right, outcome.known))}, wrong ${percent(rate(outcome.wrong, outcome.known))}, ` +
    `not named ${percent(rate(outcome.unnamedKnown, outcome.known))}, strangers named ${percent(rate(outcome.strangersNamed, outcome.strangers))}`
  );
}

const meetsTargets = (outcome: Outcome) => rate(outcome.strangersNamed, outcome.strangers) <= TARGET_STRANGERS && rate(outcome.wrong, outcome.known) <= TARGET_WRONG;

/** Per margin, the threshold with the most known named right within the targets (the smaller threshold on a tie). */
function bestPerMargin(margins: number[], outcomeAt: (threshold: number, margin: number) => Outcome): Array<{ margin: number; threshold: number; outcome: Outcome }> {
  return margins.flatMap((margin) => {
    let best: { margin: number; threshold: number; outcome: Outcome } | undefined;
    for (const threshold of THRESHOLDS) {
      const outcome = outcomeAt(threshold, margin);
      if (meetsTargets(outcome) && (!best || outcome.right > best.outcome.right)) best = { margin, threshold, outcome };
    }
    return best ? [best] : [];
  });
}

async function main(): Promise<void> {
  const path = process.argv.slice(2).find((argument) => argument !== '--') ?? '/work/cache/lfw-faces.json';
  const enrolPhotos = Number(process.env.ENROL ?? 1);
  const started = performance.now();
  const dump = readDump(path);
  const { gallery, probes, enrolled } = build(dump.photos, enrolPhotos);
  const known = probes.filter((probe) => probe.personId !== null).length;
  console.log(machineLine());
  console.log(`dump: ${path} (${dump.engine}, ${dump.generatedAt}), ${dump.photos.length} photos, ${dump.photos.filter((photo) => photo.faces.length === 0).length} without a face`);
  console.log(
    `open set: ${enrolled} people enrolled from ${enrolPhotos} photo(s) each (${gallery.size} descriptors), ${known} photos of them submitted, ` +
      `${probes.length - known} strangers; ${probes.filter((probe) => probe.descriptors.length > 1).length} probe photos with several faces`,
  );
  if (gallery.size === 0 || probes.length === 0) throw new Error('nothing to measure: no enrolled person or no probe');

  const grid = new Map<string, Outcome>();
  const at = (threshold: number, margin: number) => {
    const key = `${threshold}/${margin}`;
    let outcome = grid.get(key);
    if (!outcome) grid.set(key, (outcome = evaluate(gallery, probes, { threshold, margin })));
    return outcome;
  };

  console.log('\ncurve, threshold alone (margin 0) and with margins 0.05 / 0.08 / 0.10: known named right · wrong · strangers named');
  console.table(
    THRESHOLDS.map((threshold) => {
      const row: Record<string, string | number> = { threshold };
      for (const margin of [0, 0.05, 0.08, 0.1]) {
        const outcome = at(threshold, margin);
        row[`m ${margin.toFixed(2)}`] = `${percent(rate(outcome.right, outcome.known))} · ${percent(rate(outcome.wrong, outcome.known))} · ${percent(rate(outcome.strangersNamed, outcome.strangers))}`;
      }
      return row;
    }),
  );

  // Around the operating point: how steep the edges are (a point one step from failing a target is fitted to the set).
  console.log('\nnear the targets: known named right % / strangers named / wrong names (counts), threshold across, margin down');
  console.table(
    range(0.04, 0.12, 0.01).map((margin) => {
      const row: Record<string, string | number> = { margin };
      for (const threshold of range(0.46, 0.56, 0.01)) {
        const outcome = at(threshold, margin);
        row[threshold.toFixed(2)] = `${(rate(outcome.right, outcome.known) * 100).toFixed(0)}/${outcome.strangersNamed}/${outcome.wrong}`;
      }
      return row;
    }),
  );

  const best = bestPerMargin(MARGINS, at);
  console.log(`\nbest threshold per margin (difference d2 − d1) within strangers named ≤ ${percent(TARGET_STRANGERS)}, wrong ≤ ${percent(TARGET_WRONG)}:`);
  console.table(best.map(({ margin, threshold, outcome }) => ({ margin, threshold, result: describe(outcome) })));

  // The ratio alternative (named when d1 ≤ threshold and d1/d2 ≤ ratio), on the labelled face alone.
  const ratioNamed = (rule: MatchRule, nearest: number, second: number) => nearest <= rule.threshold && nearest <= rule.margin * second;
  const ratioBest = bestPerMargin(RATIOS, (threshold, ratio) => evaluate(gallery, probes.filter((probe) => probe.descriptors.length === 1), { threshold, margin: ratio }, ratioNamed));
  const differenceSingle = bestPerMargin(MARGINS, (threshold, margin) => evaluate(gallery, probes.filter((probe) => probe.descriptors.length === 1), { threshold, margin }));
  const top = (rows: typeof best) => rows.reduce<(typeof rows)[number] | undefined>((a, b) => (!a || b.outcome.right > a.outcome.right ? b : a), undefined);
  const ratioTop = top(ratioBest);
  const differenceTop = top(differenceSingle);
  console.log('\nratio vs difference (one-face photos only, the same photos for both):');
  if (ratioTop) console.log(`  best ratio d1/d2 ≤ ${ratioTop.margin} at threshold ${ratioTop.threshold}: ${describe(ratioTop.outcome)}`);
  if (differenceTop) console.log(`  best difference d2 − d1 ≥ ${differenceTop.margin} at threshold ${differenceTop.threshold}: ${describe(differenceTop.outcome)}`);

  if (enrolPhotos >= 2) {
    // A person's distance as the mean of their two nearest enrolments instead of the nearest one (production).
    const single = probes.filter((probe) => probe.descriptors.length === 1);
    const { descriptors, personIds } = gallery.packed();
    const meanOfTwo = single.map((probe) => {
      const perPerson = new Map<number, number[]>();
      const face = probe.descriptors[0];
      for (let row = 0; row < personIds.length; row++) {
        let sum = 0;
        for (let k = 0; k < face.length; k++) sum += (descriptors[row * face.length + k] - face[k]) ** 2;
        perPerson.set(personIds[row], [...(perPerson.get(personIds[row]) ?? []), Math.sqrt(sum)]);
      }
      const ranked = [...perPerson.entries()]
        .map(([personId, distances]) => ({ personId, distance: distances.sort((x, y) => x - y).slice(0, 2).reduce((total, value, _, kept) => total + value / kept.length, 0) }))
        .sort((x, y) => x.distance - y.distance);
      return { ...probe, nearestPerson: ranked[0].personId, nearest: ranked[0].distance, second: ranked[1]?.distance ?? Infinity };
    });
    const meanTop = top(bestPerMargin(MARGINS, (threshold, margin) => evaluate(gallery, meanOfTwo, { threshold, margin })));
    console.log('\na person\'s distance: nearest enrolment vs mean of the two nearest (one-face photos only):');
    if (differenceTop) console.log(`  nearest (production), margin ${differenceTop.margin}, threshold ${differenceTop.threshold}: ${describe(differenceTop.outcome)}`);
    if (meanTop) console.log(`  mean of two, margin ${meanTop.margin}, threshold ${meanTop.threshold}: ${describe(meanTop.outcome)}`);
  }

  const overall = top(best);
  if (overall) {
    console.log(
      `\nbest within the targets: MATCH_THRESHOLD ${overall.threshold}, MATCH_MARGIN ${overall.margin}: ${describe(overall.outcome)}` +
        (rate(overall.outcome.right, overall.outcome.known) >= TARGET_RIGHT ? ' (known named right ≥ 90 %: met)' : ' (known named right ≥ 90 %: NOT met)'),
    );
  } else console.log('\nno threshold and margin of the grid meet strangers named ≤ 1 % and wrong ≤ 1 %');

  const config = parseConfig(process.env);
  const configured = matchRuleOf(config);
  const outcome = evaluate(gallery, probes, configured);
  // The shortcut for one-face photos must be the production matcher's answer: checked at the configured rule.
  const viaMatcher = probes.filter((probe) => probe.descriptors.length === 1).every((probe) => {
    const match = gallery.match(probe.descriptors[0], configured);
    return (match?.matched ? match.personId : null) === (namedByRule(configured, probe.nearest, probe.second) ? probe.nearestPerson : null);
  });
  if (!viaMatcher) throw new Error('the precomputed decision differs from Gallery.match: the bench is wrong');
  console.log(`\nconfigured (MATCH_THRESHOLD ${configured.threshold}, MATCH_MARGIN ${configured.margin}): ${describe(outcome)}`);

  const qualities = await qualityOfDump(dump);
  if (qualities.size === 0) console.log(`\nface quality: the photos under ${dump.root} cannot be read here; not measured`);
  else {
    const qualityRule = qualityRuleOf(config);
    const verdicts = new Map([...qualities].map(([photo, inputs]) => [photo, inputs.map((face) => judgeFaceQuality(face, qualityRule))]));
    const labelled = [...verdicts].map(([photo, faces]) => ({ photo, verdict: faces[labelledFace(photo)] }));
    const low = labelled.filter(({ verdict }) => verdict.lowQuality);
    const reasons = new Map<FaceQualityReason, number>();
    for (const { verdict } of low) for (const reason of verdict.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    console.log(
      `\nface quality rule ${JSON.stringify(qualityRule)}: ${low.length} of ${labelled.length} labelled faces of low quality (${percent(rate(low.length, labelled.length))}): ` +
        ([...reasons].map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none'),
    );
    if (low.length <= 20) for (const { photo, verdict } of low) console.log(`  ${photo.file}: ${verdict.reasons.join(', ')}`);
    const isLow: LowQuality = (photo, index) => verdicts.get(photo)?.[index]?.lowQuality ?? false;
    const withQuality = build(dump.photos, enrolPhotos, isLow);
    console.log(`open set with the quality rule (${withQuality.enrolled} enrolled): ${describe(evaluate(withQuality.gallery, withQuality.probes, configured))}`);
  }
  console.log(`swept ${grid.size + RATIOS.length * THRESHOLDS.length * 2} points in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

void main();
