import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes } from '../../../test/support/fixtures';
import { ARCFACE_SIZE, arcfaceChipDetails } from '../src/engine/arcface-alignment';
import { extractFaceChip } from '../src/engine/face-chip';
import { FaceEngine } from '../src/engine/face-engine';
import { decodeImage, DecodedImage } from '../src/engine/image-decoder';
import { OnnxFaceEngine } from '../src/engine/onnx/onnx-face-engine';
import { writePlanarChip } from '../src/engine/onnx/planar-input';
import { mobileFaceNetModelPath } from '../src/engine/runtime';

const length = (values: Float32Array) => Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));

/**
 * The `mobilefacenet` recipe (docs/recognizer.md, "Descriptor model: MobileFaceNet"): the installed package's net,
 * fed the ArcFace-aligned face as its own code feeds it, its 512 floats scaled to length ½.
 */
describe('mobilefacenet descriptor recipe', () => {
  let decoded: DecodedImage;
  let engine: OnnxFaceEngine;
  let net: ort.InferenceSession;

  beforeAll(async () => {
    decoded = await decodeImage(await fixtureBytes('two_people.jpg'), { maxPixels: 40_000_000 });
    engine = await OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe: 'mobilefacenet' });
    net = await ort.InferenceSession.create(mobileFaceNetModelPath(), { executionProviders: ['cpu'], logSeverityLevel: 3 });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([engine?.dispose(), net?.release()]);
  });

  it('describes every face with 512 floats of length ½, one descriptor per person in the photo', async () => {
    const result = await engine.analyze(decoded, true);
    expect(result.recipe).toBe('mobilefacenet');
    expect(result.faces).toHaveLength(2);
    for (const face of result.faces) {
      expect(face.descriptor).toHaveLength(512);
      expect(length(face.descriptor)).toBeCloseTo(0.5, 5);
    }
    // Two people: far apart on this scale (distances run 0–1; the match threshold is about ½).
    const [a, b] = result.faces.map((face) => face.descriptor);
    expect(Math.hypot(...a.map((value, index) => value - b[index]))).toBeGreaterThan(0.55);
  });

  it("is the net's output on the ArcFace-aligned face, RGB (x − 127) / 128, scaled to length ½", async () => {
    const image = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
    const [face] = await engine.detect(image);
    const [described] = await engine.describe(image, [face], true);
    const input = new Float32Array(3 * ARCFACE_SIZE * ARCFACE_SIZE);
    writePlanarChip(
      extractFaceChip(image, arcfaceChipDetails(described!.landmarks)),
      ARCFACE_SIZE,
      { mean: [127, 127, 127], divisor: 128 },
      input,
      0,
    );
    const raw = (await net.run({ input: new ort.Tensor('float32', input, [1, 3, ARCFACE_SIZE, ARCFACE_SIZE]) })).output.data as Float32Array;
    const scale = 0.5 / length(raw);
    described!.descriptor.forEach((value, index) => expect(value).toBeCloseTo(raw[index] * scale, 6));
  });

  it('is refused by the TensorFlow.js engine, which cannot run it, with the setting that helps', async () => {
    await expect(FaceEngine.create({ backend: 'wasm', minScore: 0.5, recipe: 'mobilefacenet' })).rejects.toThrow(
      /ONNX Runtime only.*FACE_DESCRIPTOR_RECIPE=chip-flip/,
    );
  });
});
