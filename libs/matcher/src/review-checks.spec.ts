import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { Gallery } from './gallery';
import { RECIPE_OPERATING_POINTS } from '@visage/domain';
import { findDisagreements, findMisfits, outlierRows } from './review-checks';

const THRESHOLD = 0.55;

/** A descriptor with these values on the first axes: distances are plain to see. */
function at(...values: number[]): Float32Array {
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  values.forEach((value, axis) => (descriptor[axis] = value));
  return descriptor;
}

const known = new Gallery([
  { personId: 1, personName: 'Grace', descriptor: at(0, 0) },
  { personId: 1, personName: 'Grace', descriptor: at(0, 0.2) },
  { personId: 2, personName: 'Alan', descriptor: at(0, 3) },
]);

describe('review checks', () => {
  it('Gallery.distancesTo gives the distance to every row, in row order', () => {
    expect([...known.distancesTo(at(0, 0.1))].map((distance) => Number(distance.toFixed(6)))).toEqual([0.1, 0.1, 2.9]);
    expect(known.personAt(2)).toEqual({ personId: 2, personName: 'Alan' });
  });

  it('outliers: farther than the bound from more than half of the others; both of two that disagree; never one alone', () => {
    const rows = [at(0), at(0.1), at(0.2), at(5)];
    expect(outlierRows(new Gallery(rows.map((descriptor) => ({ personId: 0, personName: '', descriptor }))), rows, THRESHOLD)).toEqual([
      { row: 3, fitsWith: 0 },
    ]);
    const pair = [at(0), at(1)];
    expect(
      outlierRows(new Gallery(pair.map((descriptor) => ({ personId: 0, personName: '', descriptor }))), pair, THRESHOLD).map(
        (outlier) => outlier.row,
      ),
    ).toEqual([0, 1]);
    const alone = [at(0)];
    expect(outlierRows(new Gallery(alone.map((descriptor) => ({ personId: 0, personName: '', descriptor }))), alone, THRESHOLD)).toEqual([]);
  });

  it('a group that fits its person passes; a chained-in face is far from the group and nearer someone else', () => {
    const group = [at(0, 0.1), at(0, 0.15), at(0.1, 0.1)].map((descriptor, index) => ({ faceId: index + 1, descriptor }));
    expect(findMisfits(group, known, 1, THRESHOLD)).toEqual([]);
    const chained = [...group, { faceId: 9, descriptor: at(0, 2.9) }];
    expect(findMisfits(chained, known, 1, THRESHOLD)).toEqual([
      {
        faceId: 9,
        reasons: [
          { code: 'far_from_group', fitsWith: 0, others: 3 },
          { code: 'far_from_person', distance: expect.closeTo(2.7, 5) },
          { code: 'nearer_other_person', personId: 2, personName: 'Alan', distance: expect.closeTo(0.1, 5) },
        ],
      },
    ]);
  });

  it('a new person (no enrolments): only the group and the known people count; a rejected person never does', () => {
    expect(findMisfits([{ faceId: 1, descriptor: at(5) }], known, undefined, THRESHOLD)).toEqual([]);
    const looksLikeGrace = { faceId: 1, descriptor: at(0, 0.05) };
    expect(findMisfits([looksLikeGrace], known, undefined, THRESHOLD)).toEqual([
      { faceId: 1, reasons: [{ code: 'nearer_other_person', personId: 1, personName: 'Grace', distance: expect.closeTo(0.05, 5) }] },
    ]);
    expect(findMisfits([{ ...looksLikeGrace, rejectedPersonIds: [1] }], known, undefined, THRESHOLD)).toEqual([]);
    // Nearer its group mates than Grace: it is the group's, not hers.
    expect(findMisfits([looksLikeGrace, { faceId: 2, descriptor: at(0, 0.06) }], known, undefined, THRESHOLD)).toEqual([]);
  });

  it('flags a person whose enrolments disagree, with the odd one out, and only them', () => {
    const rows = [
      { id: 1, sourceName: 'a', personId: 1, personName: 'Grace', descriptor: at(0) },
      { id: 2, sourceName: 'b', personId: 1, personName: 'Grace', descriptor: at(0.3) },
      { id: 3, sourceName: 'c', personId: 2, personName: 'Mixed', descriptor: at(0) },
      { id: 4, sourceName: 'd', personId: 2, personName: 'Mixed', descriptor: at(0.1) },
      { id: 5, sourceName: 'e', personId: 2, personName: 'Mixed', descriptor: at(0, 1) },
      { id: 6, sourceName: 'f', personId: 3, personName: 'Solo', descriptor: at(9) },
    ];
    const flagged = findDisagreements(rows, 0.7);
    expect([...flagged.keys()]).toEqual([2]);
    expect(flagged.get(2)).toEqual({ personId: 2, spread: expect.closeTo(Math.hypot(0.1, 1), 5), outlierEnrolmentIds: [5] });
    expect(findDisagreements(rows, 2).size).toBe(0);
    // Every recipe flags beyond its own match threshold: two enrolments the matcher would take for one person never flag.
    for (const point of Object.values(RECIPE_OPERATING_POINTS)) expect(point.enrolmentDisagreement).toBeGreaterThan(point.matchThreshold);
  });
});
