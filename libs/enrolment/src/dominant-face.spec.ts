import { describe, expect, it } from 'vitest';
import { byProminence, dominantFace, prominence } from './dominant-face';

describe('dominantFace', () => {
  const face = (x: number, y: number, side: number) => ({ box: { x, y, width: side, height: side } });

  it('weighs size by closeness to the centre: 1 at the centre, 0 in a corner', () => {
    expect(prominence(face(40, 40, 20).box, 100, 100)).toBeCloseTo(20);
    expect(prominence(face(-10, -10, 20).box, 100, 100)).toBeCloseTo(0);
    expect(prominence(face(0, 40, 20).box, 100, 100)).toBeCloseTo(20 * (1 - 40 / Math.hypot(50, 50)));
  });

  it('takes the only face, or the most prominent one when it stands out by the margin', () => {
    const centre = face(35, 35, 30);
    const bystander = face(80, 0, 20);
    expect(dominantFace([centre], 100, 100)).toBe(centre);
    expect(dominantFace([bystander, centre], 100, 100)).toBe(centre);
    expect(byProminence([bystander, centre], 100, 100)).toEqual([centre, bystander]);
  });

  it('refuses two faces of one size side by side, and a bystander as large as the person just off-centre', () => {
    expect(dominantFace([face(10, 40, 30), face(60, 40, 30)], 100, 100)).toBeUndefined();
    // Both 30 px, centres 5 and 30 px from the middle: 30 × 0.93 vs 30 × 0.58 is 1.62×, below the 1.75 margin.
    expect(dominantFace([face(30, 35, 30), face(65, 35, 30)], 100, 100)).toBeUndefined();
    expect(dominantFace([], 100, 100)).toBeUndefined();
  });
});
