import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineFace, EngineResult } from '../src/engine/engine';
import { FaceEngine } from '../src/engine/face-engine';
import { decodeImage } from '../src/engine/image-decoder';
import { OnnxFaceEngine } from '../src/engine/onnx/onnx-face-engine';
import { freeFaceImages, labelledImages } from './support/equivalence-images';

type Box = EngineFace['box'];

function iou(a: Box, b: Box): number {
  const width = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const height = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const intersection = width * height;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

/** Largest landmark displacement, in pixels of the image scaled to 512 px on its longer side. */
function landmarkShift(a: EngineFace, b: EngineFace, result: EngineResult): number {
  const scale = 512 / Math.max(result.width, result.height);
  const points = a.landmarks ?? [];
  return Math.max(...points.map((point, i) => Math.hypot(point.x - (b.landmarks?.[i].x ?? NaN), point.y - (b.landmarks?.[i].y ?? NaN)) * scale));
}

const images = [...freeFaceImages(), ...labelledImages()];

/**
 * The ONNX Runtime engine against the WASM engine (itself checked against face-api in engine-equivalence.spec.ts),
 * on the same decoded pixels: same faces, boxes IoU ≥ 0.95, descriptors within 0.02, landmarks within 1 px at 512 px.
 */
describe.skipIf(images.length === 0)('OnnxFaceEngine vs the WASM FaceEngine', () => {
  let onnx: OnnxFaceEngine;
  let wasm: FaceEngine;
  const worst = { iou: 1, descriptor: 0, landmarks: 0, faces: 0 };

  beforeAll(async () => {
    [onnx, wasm] = await Promise.all([
      OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe: 'crop' }),
      FaceEngine.create({ backend: 'wasm', minScore: 0.5, recipe: 'crop' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([onnx?.dispose(), wasm?.dispose()]);
    console.log(
      `onnx vs wasm over ${images.length} images, ${worst.faces} faces: min IoU ${worst.iou.toFixed(4)}, max descriptor distance ${worst.descriptor.toFixed(5)}, max landmark shift ${worst.landmarks.toFixed(3)} px at 512 px`,
    );
  });

  it.each(images.map((path) => [relative(process.cwd(), path), path]))(
    '%s: same faces, boxes, descriptors and landmarks',
    async (_name, path) => {
      const decoded = await decodeImage(readFileSync(path), { maxPixels: 40_000_000 });
      const [ours, reference] = await Promise.all([onnx.analyze(decoded, true), wasm.analyze(decoded, true)]);
      expect(ours.faces.length).toBe(reference.faces.length);
      for (const face of reference.faces) {
        const twin = ours.faces.reduce((best, candidate) => (iou(candidate.box, face.box) > iou(best.box, face.box) ? candidate : best));
        const overlap = iou(twin.box, face.box);
        const apart = distance(twin.descriptor, face.descriptor);
        const shift = landmarkShift(twin, face, reference);
        worst.iou = Math.min(worst.iou, overlap);
        worst.descriptor = Math.max(worst.descriptor, apart);
        worst.landmarks = Math.max(worst.landmarks, shift);
        worst.faces += 1;
        expect(overlap).toBeGreaterThanOrEqual(0.95);
        expect(Math.abs(twin.score - face.score)).toBeLessThan(0.02);
        expect(apart).toBeLessThanOrEqual(0.02);
        expect(twin.landmarks).toHaveLength(68);
        expect(shift).toBeLessThanOrEqual(1);
        // The quality inputs come from the shared pipeline: the same within the engines' box and landmark differences.
        expect(Math.abs(twin.quality.yaw - face.quality.yaw)).toBeLessThan(3);
        expect(Math.abs(twin.quality.sharpness - face.quality.sharpness)).toBeLessThanOrEqual(0.15 * face.quality.sharpness);
      }
    },
    60_000,
  );
});
