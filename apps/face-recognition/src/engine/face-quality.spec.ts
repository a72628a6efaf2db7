import { describe, expect, it } from 'vitest';
import { faceQualityInputs, headPose, laplacianVariance } from './face-quality';
import { RgbImage } from './pixels';

/** A 68-point face seen from the front: eyes level, nose tip centred between the jaw ends, 0.34 of the way to the chin. */
function frontalLandmarks(): Array<{ x: number; y: number }> {
  const points = Array.from({ length: 68 }, () => ({ x: 50, y: 50 }));
  points[0] = { x: 10, y: 40 };
  points[16] = { x: 90, y: 40 };
  points[8] = { x: 50, y: 100 };
  for (const index of [36, 37, 38, 39, 40, 41]) points[index] = { x: 30, y: 40 };
  for (const index of [42, 43, 44, 45, 46, 47]) points[index] = { x: 70, y: 40 };
  points[30] = { x: 50, y: 40 + 0.34 * 60 };
  return points;
}

function image(width: number, height: number, grey: (x: number, y: number) => number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.fill(grey(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { pixels, width, height };
}

describe('face quality inputs', () => {
  it('reads a frontal face as yaw, pitch and roll ≈ 0', () => {
    const pose = headPose(frontalLandmarks());
    expect(pose.yaw).toBeCloseTo(0, 5);
    expect(pose.pitch).toBeCloseTo(0, 5);
    expect(pose.roll).toBeCloseTo(0, 5);
  });

  it('reads the nose moved toward one end of the jaw as a turned head, and a tilted eye line as roll', () => {
    const turned = frontalLandmarks();
    turned[30] = { x: 80, y: turned[30].y };
    // 2·(80 − 10)/80 − 1 = 0.75 → asin = 48.6°.
    expect(headPose(turned).yaw).toBeCloseTo(48.59, 1);
    const lookingDown = frontalLandmarks();
    lookingDown[30] = { x: 50, y: 40 + 0.7 * 60 };
    expect(headPose(lookingDown).pitch).toBeGreaterThan(30);
    // The whole face rotated by 20° in the image plane: roll 20°, the rest unchanged.
    const angle = (20 * Math.PI) / 180;
    const rotated = frontalLandmarks().map(({ x, y }) => ({
      x: x * Math.cos(angle) - y * Math.sin(angle),
      y: x * Math.sin(angle) + y * Math.cos(angle),
    }));
    const pose = headPose(rotated);
    expect(pose.roll).toBeCloseTo(20, 5);
    expect(pose.yaw).toBeCloseTo(0, 5);
    expect(pose.pitch).toBeCloseTo(0, 5);
  });

  it('knows no pose without 68 landmarks', () => {
    expect(headPose([])).toEqual({ yaw: 0, pitch: 0, roll: 0 });
  });

  it('measures sharp detail as sharp and a smooth ramp (a blurred face) as not, whatever the face size', () => {
    const stripes = (period: number) => image(256, 256, (x) => (Math.floor(x / period) % 2 === 0 ? 40 : 215));
    const ramp = image(256, 256, (x) => Math.round(x / 2));
    const sharpSmall = laplacianVariance(stripes(1), { x: 0, y: 0, width: 64, height: 64 });
    const sharpLarge = laplacianVariance(stripes(4), { x: 0, y: 0, width: 256, height: 256 });
    const smooth = laplacianVariance(ramp, { x: 10, y: 10, width: 200, height: 200 });
    expect(sharpSmall).toBeGreaterThan(1_000);
    expect(sharpLarge).toBeGreaterThan(1_000);
    expect(smooth).toBeLessThan(1);
    expect(laplacianVariance(ramp, { x: 300, y: 300, width: 10, height: 10 })).toBe(0);
  });

  it('gives the box size in pixels of the original image', () => {
    const inputs = faceQualityInputs(
      image(100, 100, () => 128),
      { x: 10, y: 10, width: 30, height: 40 },
      frontalLandmarks(),
      0.9,
      2,
    );
    expect(inputs).toMatchObject({ size: 60, score: 0.9 });
    expect(inputs.sharpness).toBeCloseTo(0, 6);
  });
});
