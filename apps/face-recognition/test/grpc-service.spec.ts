import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { DESCRIPTOR_LENGTH, FaceAnalysisError, RECIPE_DESCRIPTOR_LENGTH } from '@visage/domain';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { createFixtureDir, FixtureDir, fixtureBytes, writeFixture } from '../../../test/support/fixtures';
import { AnalysisService, createFaceRecognitionApp, FaceRecognitionApp } from '../src';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../../../libs/recognizer-client/test/test-token';

async function failure(promise: Promise<unknown>): Promise<FaceAnalysisError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FaceAnalysisError) return error;
    throw error;
  }
  throw new Error('expected the analysis to fail');
}

// Both engines answer the same statuses and shapes: only the networks' runtime differs. TensorFlow.js runs
// FaceRecognitionNet's recipes only (mobilefacenet is an ONNX model).
describe.each([
  ['onnx', 'mobilefacenet'],
  ['wasm', 'chip-flip'],
] as const)('face-recognition gRPC service (1 worker, FACE_ENGINE=%s, %s)', (engine, recipe) => {
  let images: FixtureDir;
  const outside = mkdtempSync(join(tmpdir(), 'visage-outside-'));
  let app: FaceRecognitionApp;
  let client: GrpcFaceAnalyzer;
  let healthPort: number;
  let servingBeforeReady: boolean;
  let readyBeforeLoad: number;

  beforeAll(async () => {
    images = await createFixtureDir({
      'two_people.jpg': 'two_people.jpg',
      'exif_rotated.jpg': 'exif_rotated.jpg',
      'astronaut.png': 'astronaut.png',
      'coffee.png': 'coffee.png',
      'large.jpg': 'large.jpg',
      'bad/empty.jpg': 'empty.jpg',
      'bad/not_an_image.jpg': 'not_an_image.jpg',
      'bad/truncated_header.jpg': 'truncated_header.jpg',
      'bad/truncated_half.jpg': 'truncated_half.jpg',
      'bad/one_pixel.png': 'one_pixel.png',
    });
    await writeFixture('astronaut.png', join(outside, 'astronaut.png'));
    symlinkSync(outside, join(images.root, 'linked-out'));
    // MAX_IMAGE_PIXELS lowered so the 1500x1500 image stands in for a decompression bomb.
    const config = parseConfig({
      IMAGES_ROOT: images.root,
      FACE_ENGINE: engine,
      FACE_DESCRIPTOR_RECIPE: recipe,
      RECOGNIZER_WORKERS: '1',
      LOG_LEVEL: 'warn',
      MAX_IMAGE_PIXELS: '2000000',
      ...TEST_RECOGNIZER_ENV,
    });
    app = await createFaceRecognitionApp(config);
    const ports = await app.start({ grpcPort: 0, healthPort: 0, host: '127.0.0.1' });
    healthPort = ports.healthPort;
    client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${ports.grpcPort}`, deadlineMs: 60_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
    servingBeforeReady = await client.isServing();
    readyBeforeLoad = (await fetch(`http://127.0.0.1:${healthPort}/health/ready`)).status;
    await app.ready();
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    images?.remove();
    rmSync(outside, { recursive: true, force: true });
  });

  it('reports NOT_SERVING while the models load, then SERVING; HTTP readiness names the engine', async () => {
    expect(servingBeforeReady).toBe(false);
    expect(readyBeforeLoad).toBe(503);
    expect(await client.isServing()).toBe(true);
    const ready = await fetch(`http://127.0.0.1:${healthPort}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { info: { models: { engine: string; workers: number } } };
    expect(body.info.models.engine).toBe(engine);
    expect(body.info.models.workers).toBe(1);
  });

  it("returns size, box, score, the recipe's descriptor and landmarks on request", async () => {
    const analysis = await client.analyze('two_people.jpg', { includeLandmarks: true });
    expect(analysis.recipe).toBe(recipe);
    expect(analysis.faces).toHaveLength(2);
    for (const face of analysis.faces) {
      // Held padded to DESCRIPTOR_LENGTH: the net's own floats, then zeros.
      expect(face.descriptor).toBeInstanceOf(Float32Array);
      expect(face.descriptor).toHaveLength(DESCRIPTOR_LENGTH);
      expect(face.descriptor.slice(RECIPE_DESCRIPTOR_LENGTH[recipe]).every((value) => value === 0)).toBe(true);
      expect(face.descriptor.slice(0, RECIPE_DESCRIPTOR_LENGTH[recipe]).some((value) => value !== 0)).toBe(true);
      expect(face.landmarks).toHaveLength(68);
      expect(face.score).toBeGreaterThan(0.5);
      expect(face.box.x + face.box.width).toBeLessThanOrEqual(analysis.width + 1);
      // The quality rule's inputs, from the shared pipeline: the box's smaller side, a sharp photo, a near-frontal pose.
      expect(face.quality?.size).toBeCloseTo(Math.min(face.box.width, face.box.height), 0);
      expect(face.quality?.score).toBe(face.score);
      expect(face.quality?.sharpness).toBeGreaterThan(50);
      expect(Math.abs(face.quality?.yaw ?? 90)).toBeLessThan(45);
    }
    const plain = await client.analyze('two_people.jpg');
    expect(plain.faces[0].landmarks).toBeUndefined();
  });

  it('reports boxes in the upright image for EXIF-rotated files', async () => {
    const analysis = await client.analyze('exif_rotated.jpg');
    // Stored 384x512 with Orientation=6: upright it is 512 wide.
    expect([analysis.width, analysis.height]).toEqual([512, 384]);
    expect(analysis.faces).toHaveLength(1);
  });

  it('accepts the image bytes themselves (enrolment of files outside IMAGES_ROOT)', async () => {
    const analysis = await client.analyzeContent(await fixtureBytes('astronaut.png'), { label: 'astronaut.png' });
    expect(analysis.faces).toHaveLength(1);
  });

  it.each([
    ['missing.jpg', 'NOT_FOUND', 'not_found'],
    ['../outside.jpg', 'PERMISSION_DENIED', 'outside_root'],
    ['/etc/passwd', 'PERMISSION_DENIED', 'outside_root'],
    ['linked-out/astronaut.png', 'PERMISSION_DENIED', 'outside_root'],
    // No existence oracle: a missing file under the link that leads out is refused the same way.
    ['linked-out/missing.jpg', 'PERMISSION_DENIED', 'outside_root'],
    ['bad/empty.jpg', 'INVALID_ARGUMENT', 'empty'],
    ['bad/not_an_image.jpg', 'INVALID_ARGUMENT', 'not_an_image'],
    ['bad/truncated_header.jpg', 'INVALID_ARGUMENT', 'corrupt'],
    ['bad/one_pixel.png', 'INVALID_ARGUMENT', 'too_small'],
    ['large.jpg', 'INVALID_ARGUMENT', 'too_large'],
    ['bad', 'INVALID_ARGUMENT', 'not_a_file'],
  ])('%s → %s (%s), a permanent error', async (path, code, reason) => {
    const error = await failure(client.analyze(path));
    expect(error.code).toBe(code);
    expect(error.kind).toBe('permanent');
    expect(error.message).toContain(reason);
  });

  it.each([
    ['plain text', 'not_an_image', 'not an image at all'],
    ['an SVG', 'unsupported_format', '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'],
  ])('uploaded %s → INVALID_ARGUMENT (%s)', async (_what, reason, content) => {
    const error = await failure(client.analyzeContent(Buffer.from(content)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(reason);
  });

  it('keeps the tensor count flat across requests (TensorFlow.js counts them; ONNX Runtime reports none)', async () => {
    const analysis = app.nest.get(AnalysisService);
    await client.analyze('two_people.jpg');
    const before = (await analysis.stats())[0].numTensors;
    for (const path of ['two_people.jpg', 'astronaut.png', 'coffee.png', 'two_people.jpg']) {
      await client.analyze(path, { includeLandmarks: true });
    }
    await failure(client.analyze('bad/truncated_half.jpg'));
    const after = (await analysis.stats())[0];
    expect(after.numTensors).toBe(before);
    expect(after.analysed).toBeGreaterThanOrEqual(5);
  });
});
