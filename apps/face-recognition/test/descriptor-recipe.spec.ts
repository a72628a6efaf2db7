import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../../../test/support/fixtures';
import { RecognitionEngine } from '../src/engine/engine';
import { extractFaceChip, faceChipDetails } from '../src/engine/face-chip';
import { FaceEngine } from '../src/engine/face-engine';
import { decodeImage, DecodedImage } from '../src/engine/image-decoder';
import { buildFaceApiGraphs, DESCRIPTOR_INPUT_SIZE } from '../src/engine/onnx/face-api-graphs';
import { FACE_NORMALISATION, OnnxFaceEngine } from '../src/engine/onnx/onnx-face-engine';
import { writePlanarChip } from '../src/engine/onnx/planar-input';
import { faceApiModelDir } from '../src/engine/runtime';

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

/**
 * FACE_DESCRIPTOR_RECIPE in the engines: `chip-flip` is another input to the same net than `crop` (so another
 * descriptor), and is exactly the mean of the net's descriptors of dlib's chip and of the chip mirrored, computed
 * here on their own from the landmarks the engine found.
 */
describe('descriptor recipes (ONNX Runtime and TensorFlow.js engines)', () => {
  let decoded: DecodedImage;
  let crop: OnnxFaceEngine;
  let chipFlip: OnnxFaceEngine;
  let descriptorNet: ort.InferenceSession;

  beforeAll(async () => {
    decoded = await decodeImage(readFileSync(join(FIXTURES_DIR, 'astronaut.png')), { maxPixels: 40_000_000 });
    [crop, chipFlip] = await Promise.all([
      OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe: 'crop' }),
      OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe: 'chip-flip' }),
    ]);
    descriptorNet = await ort.InferenceSession.create(buildFaceApiGraphs(faceApiModelDir()).descriptor, {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([crop?.dispose(), chipFlip?.dispose(), descriptorNet?.release()]);
  });

  it('says which recipe made the descriptors, finds the same face and describes it differently', async () => {
    const [byCrop, byChip] = await Promise.all([crop.analyze(decoded, true), chipFlip.analyze(decoded, true)]);
    expect([byCrop.recipe, byChip.recipe]).toEqual(['crop', 'chip-flip']);
    expect(byChip.faces).toHaveLength(1);
    expect(byChip.faces[0].box).toEqual(byCrop.faces[0].box);
    // Same person, same net: near (well inside the match threshold), but another input, so not the same vector.
    const apart = distance(byCrop.faces[0].descriptor, byChip.faces[0].descriptor);
    expect(apart).toBeGreaterThan(0.01);
    expect(apart).toBeLessThan(0.4);
  });

  it('chip-flip is the mean of the descriptors of the chip and of its mirror image', async () => {
    const image = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
    const [face] = await chipFlip.detect(image);
    const [described] = await chipFlip.describe(image, [face], true);
    const details = faceChipDetails(described!.landmarks);
    const plane = 3 * DESCRIPTOR_INPUT_SIZE * DESCRIPTOR_INPUT_SIZE;
    const input = new Float32Array(2 * plane);
    writePlanarChip(extractFaceChip(image, details), DESCRIPTOR_INPUT_SIZE, FACE_NORMALISATION, input, 0);
    writePlanarChip(extractFaceChip(image, details, true), DESCRIPTOR_INPUT_SIZE, FACE_NORMALISATION, input, plane);
    const output = (await descriptorNet.run({ faces: new ort.Tensor('float32', input, [2, 3, DESCRIPTOR_INPUT_SIZE, DESCRIPTOR_INPUT_SIZE]) }))
      .descriptors.data as Float32Array;
    const chip = output.slice(0, 128);
    const mirror = output.slice(128, 256);
    const mean = chip.map((value, index) => (value + mirror[index]) / 2);
    expect(distance(described!.descriptor, mean)).toBeLessThan(1e-5);
    // The mirror is a real second view: its descriptor is not the chip's, so the mean is neither of them.
    expect(distance(chip, mirror)).toBeGreaterThan(0.01);
    expect(distance(described!.descriptor, chip)).toBeGreaterThan(0.005);
  });

  it('the TensorFlow.js engine computes the same chip-flip descriptor as ONNX Runtime', async () => {
    let wasm: RecognitionEngine | undefined;
    try {
      wasm = await FaceEngine.create({ backend: 'wasm', minScore: 0.5, recipe: 'chip-flip' });
      const [onTfjs, onOnnx] = [await wasm.analyze(decoded, false), await chipFlip.analyze(decoded, false)];
      expect(onTfjs.recipe).toBe('chip-flip');
      expect(onTfjs.faces).toHaveLength(1);
      // The engines agree within 0.02 on crop descriptors (onnx-engine-equivalence.spec.ts); the chip is the same.
      expect(distance(onTfjs.faces[0].descriptor, onOnnx.faces[0].descriptor)).toBeLessThan(0.02);
    } finally {
      await wasm?.dispose();
    }
  }, 120_000);
});
