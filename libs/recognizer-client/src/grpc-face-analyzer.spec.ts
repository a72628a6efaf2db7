import { createServer, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FaceAnalysisError } from '@visage/domain';
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
  it('returns Float32Array descriptors and leaves landmarks out when none were sent', () => {
    const analysis = fromWire({
      width: 10,
      height: 20,
      backend: 'wasm',
      elapsedMs: 1,
      descriptorRecipe: 'chip-flip',
      faces: [{ box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, descriptor: Array.from({ length: 128 }, (_, i) => i / 128), landmarks: [] }],
    });
    expect(analysis.recipe).toBe('chip-flip');
    expect(analysis.faces[0].descriptor).toBeInstanceOf(Float32Array);
    expect(analysis.faces[0].descriptor[64]).toBeCloseTo(0.5);
    expect(analysis.faces[0].landmarks).toBeUndefined();
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

  it('refuses a descriptor of the wrong length', () => {
    expect(() =>
      fromWire({
        width: 1,
        height: 1,
        backend: 'wasm',
        elapsedMs: 1,
        descriptorRecipe: 'crop',
        faces: [{ box: { x: 0, y: 0, width: 1, height: 1 }, score: 1, descriptor: [1, 2], landmarks: [] }],
      }),
    ).toThrow(FaceAnalysisError);
  });

  it('reads an empty recipe (a recognizer older than recipes) as crop, and refuses one it does not know', () => {
    const wire = { width: 1, height: 1, backend: 'onnx', elapsedMs: 1, faces: [] };
    expect(fromWire({ ...wire, descriptorRecipe: '' }).recipe).toBe('crop');
    expect(() => fromWire({ ...wire, descriptorRecipe: 'arcface' })).toThrow(FaceAnalysisError);
  });
});
