import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { Gallery } from './gallery';
import { assignJointly, FaceToAssign, MatchExcluding } from './joint-assignment';

const RULE: MatchRule = { threshold: 0.55, margin: 0.05 };

/** A point on axis 0 and axis 1: distances between them are plain to read. */
function at(x: number, y = 0): Float32Array {
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  descriptor[0] = x;
  descriptor[1] = y;
  return descriptor;
}

// Ada at the origin, Bob 0.5 along axis 1, Cy far away.
const gallery = new Gallery([
  { personId: 1, personName: 'ada', descriptor: at(0) },
  { personId: 2, personName: 'bob', descriptor: at(0, 0.5) },
  { personId: 3, personName: 'cy', descriptor: at(5) },
]);

function counting(): { match: MatchExcluding; calls: () => number } {
  let calls = 0;
  return {
    match: (descriptor, excluded) => {
      calls += 1;
      return gallery.match(descriptor, RULE, excluded);
    },
    calls: () => calls,
  };
}

describe('assignJointly', () => {
  it('names every face as alone when no person is claimed twice', () => {
    const { match } = counting();
    const faces: FaceToAssign[] = [{ descriptor: at(0.1) }, { descriptor: at(5.2) }, { descriptor: at(2.5) }];
    expect(assignJointly(faces, match)).toEqual([
      { personId: 1, distance: expect.closeTo(0.1, 6) },
      { personId: 3, distance: expect.closeTo(0.2, 6) },
      { personId: null, distance: expect.closeTo(2.5, 6) },
    ]);
  });

  it('the nearer face keeps the person; the other takes its next candidate when the rule still names it', () => {
    const { match } = counting();
    // Both nearest to Ada; the second is 0.2 from Ada and ~0.3 from Bob: Bob once Ada is taken (margin to Cy: huge).
    const faces: FaceToAssign[] = [{ descriptor: at(0.02, 0.2) }, { descriptor: at(0, 0.05) }];
    expect(assignJointly(faces, match)).toEqual([
      { personId: 2, distance: expect.closeTo(Math.hypot(0.02, 0.3), 6) },
      { personId: 1, distance: expect.closeTo(0.05, 6) },
    ]);
  });

  it('a displaced face whose next candidate is too far, or taken by a nearer face, is named nobody', () => {
    const { match, calls } = counting();
    const faces: FaceToAssign[] = [{ descriptor: at(0.1) }, { descriptor: at(-0.2) }, { descriptor: at(0, 0.45) }];
    // Face 0 takes Ada; face 1 (Ada, then Bob at 0.54 but Bob is taken by face 2 at 0.05).
    expect(assignJointly(faces, match)).toEqual([
      { personId: 1, distance: expect.closeTo(0.1, 6) },
      { personId: null, distance: expect.closeTo(0.2, 6) },
      { personId: 2, distance: expect.closeTo(0.05, 6) },
    ]);
    // Three own matches, one again for the displaced face.
    expect(calls()).toBe(4);
  });

  it("keeps a face's rejections when it is matched again, and reuses identities already matched", () => {
    const { match, calls } = counting();
    const faces: FaceToAssign[] = [{ descriptor: at(0.05) }, { descriptor: at(0, 0.4), rejectedPersonIds: [2] }];
    // Face 1 rejected Bob: its own match is Ada (0.4), lost to face 0; nobody else is within the threshold.
    const own = [
      { personId: 1, distance: 0.05 },
      { personId: 1, distance: 0.4 },
    ];
    expect(assignJointly(faces, match, own)).toEqual([
      { personId: 1, distance: 0.05 },
      { personId: null, distance: 0.4 },
    ]);
    expect(calls()).toBe(1);
  });

  it('never names a low-quality face, and it takes nobody from another face', () => {
    const { match } = counting();
    const faces: FaceToAssign[] = [{ descriptor: at(0.02), lowQuality: true }, { descriptor: at(0.1) }];
    expect(assignJointly(faces, match)).toEqual([
      { personId: null, distance: expect.closeTo(0.02, 6) },
      { personId: 1, distance: expect.closeTo(0.1, 6) },
    ]);
  });
});
