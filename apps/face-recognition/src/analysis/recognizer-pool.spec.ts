import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolError, RecognizerPool } from './recognizer-pool';
import { until } from '../../../../test/support/until';

const FAKE_WORKER = join(__dirname, '../../test/fixtures/fake-analysis.worker.ts');

describe('RecognizerPool (model-free worker)', () => {
  let pool: RecognizerPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it('fails the job of a crashed worker as worker_failed and replaces the worker', async () => {
    pool = new RecognizerPool({
      workers: 1,
      queueSize: 4,
      settings: { engine: 'wasm', engineThreads: 1, minScore: 0.5, recipe: 'chip-flip', maxPixels: 1 },
      workerFile: FAKE_WORKER,
    });
    await pool.start();
    expect(pool.ready).toBe(true);
    const crashed = pool.analyze({ path: '/images/crash.jpg' }, false);
    await expect(crashed).rejects.toMatchObject({ code: 'worker_failed' });
    // The replacement comes up and serves the next job.
    await until(() => pool?.ready, 'the replacement worker', 30_000);
    await expect(pool.analyze({ path: '/images/fine.jpg' }, false)).resolves.toMatchObject({ result: { faces: [] } });
  });

  it('refuses work before start and after close', async () => {
    pool = new RecognizerPool({
      workers: 1,
      queueSize: 1,
      settings: { engine: 'wasm', engineThreads: 1, minScore: 0.5, recipe: 'chip-flip', maxPixels: 1 },
      workerFile: FAKE_WORKER,
    });
    await expect(pool.analyze({ path: 'a.jpg' }, false)).rejects.toMatchObject({ code: 'not_ready' });
    await pool.start();
    await pool.close();
    const error = await pool.analyze({ path: 'a.jpg' }, false).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(PoolError);
    expect((error as PoolError).code).toBe('closed');
  });
});
