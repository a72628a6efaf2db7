import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../../../../../test/support/fixtures';
import { decodeImage } from '../image-decoder';
import { OnnxFaceEngine } from './onnx-face-engine';
import { RgbImage } from '../pixels';

describe('OnnxFaceEngine batching', () => {
  let engine: OnnxFaceEngine;
  let image: RgbImage;

  beforeAll(async () => {
    engine = await OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe: 'chip-flip' });
    const decoded = await decodeImage(readFileSync(join(FIXTURES_DIR, 'astronaut.png')), { maxPixels: 40_000_000 });
    image = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
  }, 60_000);
  afterAll(() => engine?.dispose());

  it('describes more faces than one run holds (16) with the answers each gets alone, in order', async () => {
    const [face] = await engine.detect(image);
    // 21 different boxes around the astronaut's face: two full runs of the nets and a partial one.
    const boxes = Array.from({ length: 21 }, (_, i) => ({
      x: face.x - 10 + i,
      y: face.y - 5 + (i % 7),
      width: face.width + i,
      height: face.height + 2 * (i % 5),
    }));
    const together = await engine.describe(image, boxes, true);
    expect(together).toHaveLength(21);
    for (const [index, box] of boxes.entries()) {
      const [alone] = await engine.describe(image, [box], true);
      const batched = together[index];
      expect(batched?.descriptor).toHaveLength(128);
      const apart = Math.sqrt(alone!.descriptor.reduce((sum, value, i) => sum + (value - batched!.descriptor[i]) ** 2, 0));
      expect(apart).toBeLessThan(1e-4);
      expect(Math.abs(alone!.landmarks[30].x - batched!.landmarks[30].x)).toBeLessThan(1e-3);
    }
    // The boxes differ, so the descriptors do too: a misordered batch would not pass the loop above.
    expect(together[0]!.descriptor[0]).not.toBe(together[20]!.descriptor[0]);
  }, 60_000);
});
