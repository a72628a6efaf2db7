import { describe, expect, it } from 'vitest';
import { ARCFACE_SIZE, ARCFACE_TEMPLATE, arcfaceChipDetails, arcfacePoints } from './arcface-alignment';
import { ChipPoint, chipToImage } from './face-chip';

/** 68 landmarks whose five ArcFace points are `five` (each eye's six points on its centre, the rest anywhere). */
function landmarksWithFivePoints(five: ChipPoint[]): ChipPoint[] {
  const landmarks = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  for (let index = 36; index < 42; index++) landmarks[index] = five[0];
  for (let index = 42; index < 48; index++) landmarks[index] = five[1];
  landmarks[30] = five[2];
  landmarks[48] = five[3];
  landmarks[54] = five[4];
  return landmarks;
}

describe('ArcFace alignment', () => {
  it('takes the eye centres, the nose tip and the mouth corners of the 68 points', () => {
    const landmarks = Array.from({ length: 68 }, (_, index) => ({ x: index, y: 2 * index }));
    expect(arcfacePoints(landmarks)).toEqual([
      { x: 38.5, y: 77 },
      { x: 44.5, y: 89 },
      { x: 30, y: 60 },
      { x: 48, y: 96 },
      { x: 54, y: 108 },
    ]);
    expect(() => arcfacePoints(landmarks.slice(0, 5))).toThrow(/68 landmarks/);
  });

  it('maps the template onto a face that is a rotated, scaled and shifted template, pixel centres at +½', () => {
    const angle = 0.3;
    const scale = 1.7;
    const place = (point: ChipPoint): ChipPoint => ({
      x: scale * (Math.cos(angle) * point.x - Math.sin(angle) * point.y) + 40,
      y: scale * (Math.sin(angle) * point.x + Math.cos(angle) * point.y) + 25,
    });
    const details = arcfaceChipDetails(landmarksWithFivePoints(ARCFACE_TEMPLATE.map(place)));
    expect(details.size).toBe(ARCFACE_SIZE);
    expect(details.angle).toBeCloseTo(angle, 10);
    for (const point of ARCFACE_TEMPLATE) {
      // Chip pixel (u, v) is sampled at the image position of template point (u + ½, v + ½), minus ½.
      const sampled = chipToImage(details, point.x - 0.5, point.y - 0.5);
      const expected = place(point);
      expect(sampled.x).toBeCloseTo(expected.x - 0.5, 8);
      expect(sampled.y).toBeCloseTo(expected.y - 0.5, 8);
    }
  });
});
