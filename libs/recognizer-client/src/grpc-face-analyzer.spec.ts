import { createServer, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, FaceAnalysisError, RECIPE_DESCRIPTOR_LENGTH } from '@visage/domain';
import { fromWire, GrpcFaceAnalyzer, RECOGNIZER_CONNECT_TIMEOUT_MS } from './grpc-face-analyzer';
import { TEST_RECOGNIZER_CREDENTIALS } from '../test/test-token';

async function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('GrpcFaceAnalyzer without a server', () => {
  it('is not serving, and analysis fails as a transient error (retry later)', async () => {
    const analyzer = new GrpcFaceAnalyzer({
      address: `127.0.0.1:${await unusedPort()}`,
      deadlineMs: 1_000,
      credentials: TEST_RECOGNIZER_CREDENTIALS,
    });
    try {
      expect(await analyzer.isServing({ deadlineMs: 500 })).toBe(false);
      const error = await analyzer.analyze('a.jpg').catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(FaceAnalysisError);
      expect((error as FaceAnalysisError).kind).toBe('transient');
      expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain((error as FaceAnalysisError).code);
    } finally {
      analyzer.close();
    }
  });
});

describe('GrpcFaceAnalyzer against a host that accepts TCP but never speaks gRPC (a recognizer gone without refusing)', () => {
  it('fails UNAVAILABLE after the connect timeout instead of queueing the call for its whole deadline', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const analyzer = new GrpcFaceAnalyzer({
      address: `127.0.0.1:${(server.address() as { port: number }).port}`,
      deadlineMs: 120_000,
      credentials: TEST_RECOGNIZER_CREDENTIALS,
    });
    try {
      const error = await analyzer.analyze('a.jpg').catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(FaceAnalysisError);
      expect(error).toMatchObject({
        kind: 'transient',
        code: 'UNAVAILABLE',
        message: expect.stringContaining(`no connection to the recognizer within ${RECOGNIZER_CONNECT_TIMEOUT_MS} ms`),
      });
    } finally {
      analyzer.close();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  }, 20_000); // far below the 120 s deadline: the call did not wait for it
});

describe('fromWire', () => {
  /** A one-face answer of `recipe` whose descriptor has `length` floats, each distinct (i / length). */
  const answer = (recipe: string, length: number) => ({
    width: 10,
    height: 20,
    backend: 'onnx',
    elapsedMs: 1,
    descriptorRecipe: recipe,
    faces: [{ box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, descriptor: Array.from({ length }, (_, i) => i / length), landmarks: [] }],
  });

  it('returns Float32Array descriptors and leaves landmarks out when none were sent', () => {
    const analysis = fromWire({ ...answer('chip-flip', 128), backend: 'wasm' });
    expect(analysis.recipe).toBe('chip-flip');
    expect(analysis.faces[0].descriptor).toBeInstanceOf(Float32Array);
    expect(analysis.faces[0].descriptor[64]).toBeCloseTo(0.5);
    expect(analysis.faces[0].landmarks).toBeUndefined();
  });

  it('accepts a mobilefacenet answer of 512 floats as it is', () => {
    expect(RECIPE_DESCRIPTOR_LENGTH.mobilefacenet).toBe(512);
    const wire = answer('mobilefacenet', 512);
    const analysis = fromWire(wire);
    expect(analysis.recipe).toBe('mobilefacenet');
    expect(analysis.faces[0].descriptor).toHaveLength(DESCRIPTOR_LENGTH);
    expect(Array.from(analysis.faces[0].descriptor)).toEqual(wire.faces[0].descriptor.map(Math.fround));
  });

  it('accepts a chip-flip answer of 128 floats and pads it with zeros to the held length', () => {
    expect(RECIPE_DESCRIPTOR_LENGTH['chip-flip']).toBe(128);
    const wire = answer('chip-flip', 128);
    const descriptor = fromWire(wire).faces[0].descriptor;
    expect(descriptor).toHaveLength(DESCRIPTOR_LENGTH);
    // The net's floats first, unchanged; zeros after them, so every distance is the net's own.
    expect(Array.from(descriptor.subarray(0, 128))).toEqual(wire.faces[0].descriptor.map(Math.fround));
    expect(descriptor.subarray(128).every((value) => value === 0)).toBe(true);
  });

  it("refuses, as a transient error, a descriptor whose length is not its recipe's", () => {
    // The fault is the recognizer's, not the image's: the image is retried later, never failed for good.
    for (const [recipe, length] of [
      ['mobilefacenet', 128],
      ['chip-flip', 512],
      ['crop', 512],
      ['mobilefacenet', 511],
      ['crop', 2],
    ] as const) {
      let error: unknown;
      try {
        fromWire(answer(recipe, length));
      } catch (failure) {
        error = failure;
      }
      expect(error, `${recipe} with ${length} floats`).toBeInstanceOf(FaceAnalysisError);
      expect(error).toMatchObject({
        kind: 'transient',
        code: 'INTERNAL',
        message: expect.stringContaining(`${recipe} descriptor of length ${length}`),
      });
    }
  });

  it('passes the quality inputs on with the detection score, and none from a recognizer older than them (null)', () => {
    const face = { box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.8, descriptor: new Array<number>(128).fill(0), landmarks: [] };
    const quality = { size: 3, sharpness: 210, yaw: -12, pitch: 4, roll: 1 };
    const analysis = fromWire({
      width: 10,
      height: 20,
      backend: 'onnx',
      elapsedMs: 1,
      descriptorRecipe: 'crop',
      faces: [
        { ...face, quality },
        { ...face, quality: null },
      ],
    });
    expect(analysis.faces[0].quality).toEqual({ ...quality, score: 0.8 });
    expect(analysis.faces[1].quality).toBeUndefined();
  });

  it('reads an empty recipe (a recognizer older than recipes) as crop, and refuses one it does not know', () => {
    const wire = { width: 1, height: 1, backend: 'onnx', elapsedMs: 1, faces: [] };
    expect(fromWire({ ...wire, descriptorRecipe: '' }).recipe).toBe('crop');
    expect(() => fromWire({ ...wire, descriptorRecipe: 'arcface' })).toThrow(FaceAnalysisError);
  });
});
