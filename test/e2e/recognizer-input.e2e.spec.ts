/**
 * FACE_RECOGNITION_INPUT=content: the processor's recognizer client reads the image under IMAGES_ROOT and sends its
 * bytes, so the recognizer needs no images volume (the Kubernetes overlays' default). Against the gRPC double,
 * which records what each call carried.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceAnalysisError } from '@visage/domain';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { createImagesRoot, ImagesRoot, RecognizerDouble } from './harness';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_TOKEN } from '../../libs/recognizer-client/test/test-token';

describe('recognizer input', () => {
  let recognizer: RecognizerDouble;
  let images: ImagesRoot;

  beforeAll(async () => {
    recognizer = await RecognizerDouble.start();
    images = createImagesRoot();
    images.copy('camera.png', 'in/camera.png');
  });
  afterAll(() => {
    recognizer?.stop();
    images?.remove();
  });

  it('content: the file under IMAGES_ROOT is read by the client and its bytes sent, the path as a label', async () => {
    const analyzer = new GrpcFaceAnalyzer({
      address: recognizer.address,
      deadlineMs: 5_000,
      sendContentFrom: images.root,
      credentials: TEST_RECOGNIZER_CREDENTIALS,
    });
    try {
      const analysis = await analyzer.analyze('in/camera.png');
      expect(analysis.faces).toHaveLength(1);
      expect(recognizer.contentBytes.get('in/camera.png')).toBe(statSync(join(images.root, 'in/camera.png')).size);
      expect(recognizer.authorization.get('in/camera.png')).toBe(`Bearer ${TEST_RECOGNIZER_TOKEN}`); // RECOGNIZER_TOKEN with the bytes too
    } finally {
      analyzer.close();
    }
  });

  it('content: a path problem is permanent with the reason the recognizer would give, and no call is made', async () => {
    const analyzer = new GrpcFaceAnalyzer({
      address: recognizer.address,
      deadlineMs: 5_000,
      sendContentFrom: images.root,
      credentials: TEST_RECOGNIZER_CREDENTIALS,
    });
    try {
      for (const [path, reason] of [
        ['in/missing.png', 'not_found'],
        ['../outside.png', 'outside_root'],
      ] as const) {
        const error = await analyzer.analyze(path).catch((failure: unknown) => failure);
        expect(error).toBeInstanceOf(FaceAnalysisError);
        expect(error).toMatchObject({ kind: 'permanent', reason });
        expect(recognizer.callsFor(path)).toBe(0);
      }
    } finally {
      analyzer.close();
    }
  });

  it('path (the default): only the path is sent', async () => {
    const analyzer = new GrpcFaceAnalyzer({ address: recognizer.address, deadlineMs: 5_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
    try {
      await analyzer.analyze('in/elsewhere.png');
      expect(recognizer.contentBytes.get('in/elsewhere.png')).toBe(0);
    } finally {
      analyzer.close();
    }
  });
});
