import { MatchRule } from '@visage/domain';
import { Gallery, GalleryEntry } from './gallery';

/** A face the review is about to enrol for a person. */
export interface ReviewCandidate {
  faceId: number;
  descriptor: Float32Array;
  /** Persons the face was rejected for ("Not <name>"): the matcher never names it after them, so no reason to refuse it. */
  rejectedPersonIds?: readonly number[];
}

/** Why a face does not fit the person it is about to be enrolled for. */
export type MisfitReason =
  /** Farther than the threshold from more than half of the other faces enrolled with it. */
  | { code: 'far_from_group'; fitsWith: number; others: number }
  /** The person's nearest enrolment is farther than the threshold. */
  | { code: 'far_from_person'; distance: number }
  /** Another known person has an enrolment within the threshold, nearer than anything of the target. */
  | { code: 'nearer_other_person'; personId: number; personName: string; distance: number };

export interface Misfit {
  faceId: number;
  reasons: MisfitReason[];
}

/**
 * Rows farther than `bound` from more than half of the other rows: the odd ones out of a group of faces or of a
 * person's enrolments. With two rows, both when they are farther apart than `bound`; one row never is.
 */
export function outlierRows(gallery: Gallery, descriptors: readonly Float32Array[], bound: number): Array<{ row: number; fitsWith: number }> {
  const others = descriptors.length - 1;
  const outliers: Array<{ row: number; fitsWith: number }> = [];
  descriptors.forEach((descriptor, row) => {
    const distances = gallery.distancesTo(descriptor);
    let fitsWith = 0;
    distances.forEach((distance, other) => {
      if (other !== row && distance <= bound) fitsWith++;
    });
    if (others > 0 && (others - fitsWith) * 2 > others) outliers.push({ row, fitsWith });
  });
  return outliers;
}

/**
 * Which of `faces`, about to be enrolled together for one person, do not fit (see {@link MisfitReason}).
 * `known`: the gallery without the faces' own review enrolments (they are replaced); `targetPersonId`: the
 * existing person (undefined for one created by name, whose only faces are these).
 */
export function findMisfits(faces: readonly ReviewCandidate[], known: Gallery, targetPersonId: number | undefined, threshold: number): Misfit[] {
  const group = new Gallery(faces.map((face) => ({ personId: face.faceId, personName: '', descriptor: face.descriptor })));
  const groupOutliers = new Map(
    outlierRows(
      group,
      faces.map((face) => face.descriptor),
      threshold,
    ).map((outlier) => [outlier.row, outlier.fitsWith]),
  );
  const target = targetPersonId === undefined ? new Gallery([]) : personGallery(known, targetPersonId);
  // No margin: any other person within the threshold is a reason to ask, however close the target is.
  const withinThreshold: MatchRule = { threshold, margin: 0 };
  const misfits: Misfit[] = [];
  faces.forEach((face, row) => {
    const reasons: MisfitReason[] = [];
    const fitsWith = groupOutliers.get(row);
    if (fitsWith !== undefined) reasons.push({ code: 'far_from_group', fitsWith, others: faces.length - 1 });
    const nearestOfTarget = target.match(face.descriptor, withinThreshold);
    if (nearestOfTarget && !nearestOfTarget.matched) reasons.push({ code: 'far_from_person', distance: nearestOfTarget.distance });
    const excluded = new Set(face.rejectedPersonIds ?? []);
    if (targetPersonId !== undefined) excluded.add(targetPersonId);
    const other = known.match(face.descriptor, withinThreshold, excluded);
    if (other?.matched && other.distance < nearestOfPerson(face, row, group, nearestOfTarget?.distance)) {
      reasons.push({ code: 'nearer_other_person', personId: other.personId, personName: other.personName, distance: other.distance });
    }
    if (reasons.length > 0) misfits.push({ faceId: face.faceId, reasons });
  });
  return misfits;
}

/** The nearest thing the face will be enrolled with: the target's nearest enrolment or another of the faces. */
function nearestOfPerson(face: ReviewCandidate, row: number, group: Gallery, nearestOfTarget = Infinity): number {
  let nearest = nearestOfTarget;
  group.distancesTo(face.descriptor).forEach((distance, other) => {
    if (other !== row && distance < nearest) nearest = distance;
  });
  return nearest;
}

/** The rows of one person, as a gallery of their own. */
function personGallery(known: Gallery, personId: number): Gallery {
  const { descriptors, personIds } = known.packed();
  const rows: GalleryEntry[] = [];
  const length = descriptors.length / Math.max(1, personIds.length);
  personIds.forEach((id, row) => {
    if (id === personId) rows.push({ personId, personName: '', descriptor: descriptors.subarray(row * length, (row + 1) * length) });
  });
  return new Gallery(rows);
}

/**
 * A person whose enrolments disagree: some pair is farther apart than `bound` (the recipe's `enrolmentDisagreement`,
 * RECIPE_OPERATING_POINTS): two enrolments that far apart are taken to show two people.
 */
export interface EnrolmentDisagreement {
  personId: number;
  /** The largest distance between two of the person's enrolments. */
  spread: number;
  /** Enrolments farther than the bound from more than half of the person's others: the ones to look at. */
  outlierEnrolmentIds: number[];
}

/** An enrolment as the consistency check reads it. */
export interface EnrolmentRow extends GalleryEntry {
  id: number;
  sourceName: string;
}

/** Every person whose enrolments disagree, by person id. */
export function findDisagreements(rows: readonly EnrolmentRow[], bound: number): Map<number, EnrolmentDisagreement> {
  const byPerson = new Map<number, EnrolmentRow[]>();
  for (const row of rows) {
    const enrolments = byPerson.get(row.personId) ?? [];
    enrolments.push(row);
    byPerson.set(row.personId, enrolments);
  }
  const flagged = new Map<number, EnrolmentDisagreement>();
  for (const [personId, enrolments] of byPerson) {
    if (enrolments.length < 2) continue;
    const gallery = new Gallery(enrolments);
    let spread = 0;
    enrolments.forEach((enrolment) => gallery.distancesTo(enrolment.descriptor).forEach((distance) => (spread = Math.max(spread, distance))));
    if (spread <= bound) continue;
    const outliers = outlierRows(
      gallery,
      enrolments.map((enrolment) => enrolment.descriptor),
      bound,
    );
    flagged.set(personId, { personId, spread, outlierEnrolmentIds: outliers.map((outlier) => enrolments[outlier.row].id) });
  }
  return flagged;
}
