import { describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { evaluateIdentity, shuffled } from './evaluate';
import { DumpFace, DumpPhoto, FaceDump } from './face-dump';

/**
 * Person `index`'s descriptor: a unit vector along one axis (people are √2 apart), moved by `jitter` on each of the
 * first 128 axes and zero on the rest of DESCRIPTOR_LENGTH, so that every distance is the one this dump was designed
 * with when descriptors had 128 floats.
 */
function descriptor(index: number, jitter: number): number[] {
  return Array.from({ length: DESCRIPTOR_LENGTH }, (_, k) =>
    k >= 128 ? 0 : (k === index ? 1 : 0) + jitter * Math.sin(k * 7 + index * 13 + jitter * 1000),
  );
}

const centred: DumpFace['box'] = { x: 70, y: 60, width: 110, height: 130 };
const corner: DumpFace['box'] = { x: 0, y: 0, width: 30, height: 30 };
const face = (person: number, jitter: number, box = centred): DumpFace => ({
  box,
  score: 0.9,
  descriptor: descriptor(person, jitter),
  landmarks: [],
});
const photo = (person: string, number: number, faces: DumpFace[]): DumpPhoto => ({
  person,
  file: `${person}/${person}_000${number}.jpg`,
  width: 250,
  height: 250,
  faces,
});

/**
 * Three people with three photos (Ada's first shows Cleo small in a corner; Cleo's last has no face found), one
 * stranger with one photo, one person with two (neither enrolled nor a stranger).
 */
const dump: FaceDump = {
  engine: 'synthetic',
  generatedAt: '2026-12-07T00:00:00.000Z',
  root: '/nowhere',
  photos: [
    photo('Ada', 1, [face(0, 0.01), face(2, 0.012, corner)]),
    photo('Ada', 2, [face(0, 0.02)]),
    photo('Ada', 3, [face(0, 0.03)]),
    photo('Ben', 1, [face(1, 0.01)]),
    photo('Ben', 2, [face(1, 0.02)]),
    photo('Ben', 3, [face(1, 0.03)]),
    photo('Cleo', 1, [face(2, 0.01)]),
    photo('Cleo', 2, [face(2, 0.02)]),
    photo('Cleo', 3, []),
    photo('Dan', 1, [face(3, 0.01)]),
    photo('Eve', 1, [face(4, 0.01)]),
    photo('Eve', 2, [face(4, 0.02)]),
  ],
};

describe('bench:identity evaluation (synthetic dump)', () => {
  it('counts faces found, the open set through the enrolment rule and the matcher, and the grouping', async () => {
    const evaluation = await evaluateIdentity(dump, parseConfig({ MATCH_THRESHOLD: '0.55' }));
    expect(evaluation.facesFound).toEqual({ photos: 12, refused: 0, withNone: 1, withSeveral: 1, found: 11 / 12 });
    expect(evaluation.openSet).toMatchObject({ enrolled: 3, enrolmentRefused: [], enrolledFromSeveral: 1 });
    // Ada 2, 3, Ben 2, 3 and Cleo 2 named right; Cleo 3 (no face) not named; Dan, the stranger, not named.
    expect(evaluation.openSet.atOperatingPoint).toEqual({
      threshold: 0.55,
      known: 6,
      right: 5,
      wrong: 0,
      notNamed: 1,
      strangers: 1,
      strangersNamed: 0,
    });
    // The known photos lie well within 0.30 of their enrolment: named right at every point of the curve.
    expect(evaluation.openSet.curve.every((point) => point.right === 5)).toBe(true);
    // The bystander (30 px) is too small to be grouped, a group of its own: every labelled pair is right, none missed.
    expect(evaluation.grouping).toEqual({
      faces: 12,
      groups: 6,
      pairwisePrecision: 1,
      pairwiseRecall: 1,
      groupsWithTwoFacesOfAPhoto: 0,
      largestGroup: 3,
    });
  });

  it('shows a mixed group: a CLUSTER_THRESHOLD above the people’s distance puts everyone grouped in one group', async () => {
    const { grouping } = await evaluateIdentity(dump, parseConfig({ CLUSTER_THRESHOLD: '1.5' }));
    expect(grouping.groups).toBe(2); // everyone, and the bystander too small to be grouped
    expect(grouping.largestGroup).toBe(11);
    expect(grouping.groupsWithTwoFacesOfAPhoto).toBe(0);
    expect(grouping.pairwiseRecall).toBe(1);
    // 11 labelled faces: 55 pairs together, of which the 3 + 3 + 1 + 1 one-person pairs are right.
    expect(grouping.pairwisePrecision).toBeCloseTo(8 / 55);
  });

  it('shuffles deterministically, every item kept', () => {
    const items = Array.from({ length: 50 }, (_, index) => index);
    expect(shuffled(items, 3)).toEqual(shuffled(items, 3));
    expect(shuffled(items, 3)).not.toEqual(items);
    expect([...shuffled(items, 3)].sort((a, b) => a - b)).toEqual(items);
  });
});
