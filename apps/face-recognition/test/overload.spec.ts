import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { FaceAnalysis, FaceAnalysisError } from '@visage/domain';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { createFixtureDir, FixtureDir } from '../../../test/support/fixtures';
import { AnalysisService, createFaceRecognitionApp, FaceRecognitionApp, PoolError } from '../src';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../../../libs/recognizer-client/test/test-token';

/** One worker and a queue of one: the third concurrent request has nowhere to wait. */
describe('overload and deadlines (1 worker, queue of 1)', () => {
  let images: FixtureDir;
  let app: FaceRecognitionApp;
  let client: GrpcFaceAnalyzer;

  beforeAll(async () => {
    images = await createFixtureDir({ 'busy.jpg': 'large.jpg', 'queued.jpg': 'two_people.jpg' });
    const config = parseConfig({
      IMAGES_ROOT: images.root,
      RECOGNIZER_WORKERS: '1',
      RECOGNIZER_QUEUE_SIZE: '1',
      LOG_LEVEL: 'warn',
      ...TEST_RECOGNIZER_ENV,
    });
    app = await createFaceRecognitionApp(config);
    const { grpcPort } = await app.start({ grpcPort: 0, healthPort: 0, host: '127.0.0.1' });
    client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${grpcPort}`, deadlineMs: 120_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
    await app.ready();
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    images?.remove();
  });

  it('answers RESOURCE_EXHAUSTED (transient) when the queue is full, and serves what it admitted', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        client.analyze('busy.jpg').then(
          (analysis: FaceAnalysis) => analysis,
          (error: FaceAnalysisError) => error,
        ),
      ),
    );
    const served = outcomes.filter((outcome) => !(outcome instanceof Error));
    const refused = outcomes.filter((outcome): outcome is FaceAnalysisError => outcome instanceof FaceAnalysisError);
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const error of refused) {
      expect(error.code).toBe('RESOURCE_EXHAUSTED');
      expect(error.kind).toBe('transient');
    }
  });

  it('drops queued work whose deadline passes, without running it', async () => {
    const pool = app.nest.get(AnalysisService).pool;
    const busy = pool.analyze({ path: join(images.root, 'busy.jpg') }, false);
    const before = (await pool.stats())[0].analysed;
    const started = Date.now();
    const late = pool.analyze({ path: join(images.root, 'queued.jpg') }, false, { deadline: Date.now() + 30 });
    await expect(late).rejects.toMatchObject({ code: 'deadline_exceeded' });
    // Dropped from the queue at its deadline, not when the busy worker got to it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(pool.queued).toBe(0);
    await busy;
    expect((await pool.stats())[0].analysed).toBe(before + 1);
  });

  it('drops queued work whose caller cancelled', async () => {
    const pool = app.nest.get(AnalysisService).pool;
    const busy = pool.analyze({ path: join(images.root, 'busy.jpg') }, false);
    const abort = new AbortController();
    const cancelled = pool.analyze({ path: join(images.root, 'queued.jpg') }, false, { signal: abort.signal });
    abort.abort();
    await expect(cancelled).rejects.toBeInstanceOf(PoolError);
    expect(pool.queued).toBe(0);
    await busy;
  });

  it('gives the client DEADLINE_EXCEEDED (transient) when its deadline is too short', async () => {
    const error = await client.analyze('busy.jpg', { deadlineMs: 5 }).catch((failure: FaceAnalysisError) => failure);
    expect(error).toBeInstanceOf(FaceAnalysisError);
    expect((error as FaceAnalysisError).code).toBe('DEADLINE_EXCEEDED');
    expect((error as FaceAnalysisError).kind).toBe('transient');
  });
});
