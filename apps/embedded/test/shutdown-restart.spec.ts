/**
 * Embedded mode (SQLite + in-process queue) stopping and starting again: the shutdown runs its steps in order
 * with an image in the middle of its analysis, gives that image back, and the next start finishes it at once.
 * The real recognizer runs (it is part of what is closed); the processor is given the fake analyzer of test/support so an
 * analysis can be held open.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, VisageConfig } from '@visage/config';
import { ImageEntity } from '@visage/persistence';
import { openMigrated } from '../../../libs/persistence/test/test-databases';
import { FaceAnalyzer } from '@visage/domain';
import { http, withEphemeralPorts } from '../../../test/e2e/harness';
import { TEST_AUTH_ENV } from '../../../libs/auth/test/test-keys';
import { FACE_ANALYZER, ImageProcessorModule, processorNestOptions, startImageProcessorApp } from '../../image-processor/src';
import { EmbeddedVisage, SHUTDOWN_STEPS, startEmbedded } from '../src/embedded';
import { FakeFaceAnalyzer } from '../../../test/support/fake-face-analyzer';
import { until } from '../../../test/support/until';

/** The processor as embedded mode builds it, with its recognizer port bound to `analyzer`. */
function processorWith(analyzer: FaceAnalyzer) {
  return async (config: VisageConfig): Promise<INestApplication> => {
    const moduleRef = await Test.createTestingModule({ imports: [ImageProcessorModule.forRoot({ config })] })
      .overrideProvider(FACE_ANALYZER)
      .useValue(analyzer)
      .compile();
    return startImageProcessorApp(moduleRef.createNestApplication(processorNestOptions(config, { logger: ['error'] })));
  };
}

describe('embedded: ordered shutdown and restart (SQLite + in-process queue)', () => {
  let root: string;
  let config: VisageConfig;
  const running: EmbeddedVisage[] = [];

  beforeAll(() => {
    Logger.overrideLogger(['error']);
    root = mkdtempSync(join(tmpdir(), 'visage-embedded-'));
    writeFileSync(join(root, 'held.jpg'), Buffer.from('not read: the scripted analyzer answers from the path'));
    config = withEphemeralPorts(
      parseConfig({
        DATABASE_URL: `sqlite:${join(root, 'visage.sqlite')}`,
        IMAGES_ROOT: root,
        RECOGNIZER_WORKERS: '1',
        QUEUE_CLOSE_TIMEOUT_MS: '300', // the held analysis outlives the drain: its claim must be given back
        LOG_LEVEL: 'error',
        ...TEST_AUTH_ENV,
      }),
    );
  });

  afterAll(async () => {
    for (const visage of running) await visage.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('stops consuming, drains, releases the held claim, closes servers, then the database; the restart finishes the image', async () => {
    const holding = new FakeFaceAnalyzer(() => new Promise(() => undefined)); // never answers: a long analysis in flight at shutdown
    const first = await startEmbedded(config, { host: '127.0.0.1', createProcessor: processorWith(holding) });
    running.push(first);
    const receiverUrl = `http://127.0.0.1:${first.ports.receiver}`;
    const posted = await http<{ id: number }>('POST', `${receiverUrl}/image/post`, { path: 'held.jpg' });
    expect(posted.status).toBe(202);
    await until(() => holding.analyzeCalls.length === 1, 'the analysis to start');

    const report = await first.close();
    expect(report.steps.map((entry) => entry.step)).toEqual([...SHUTDOWN_STEPS]);
    expect(report.steps.find((entry) => entry.step === 'drain in-flight')?.detail).toMatch(/^1 in flight, 1 still running/);
    expect(report.steps.find((entry) => entry.step === 'release claims')?.detail).toMatch(/^1 claim\(s\) given back/);
    expect(report.steps.every((entry) => !entry.detail.startsWith('failed'))).toBe(true);
    await expect(fetch(`${receiverUrl}/health/live`)).rejects.toThrow(); // servers closed
    expect(await first.close()).toBe(report); // a second signal does not run it again

    // The database is closed and consistent: the image is pending again, no attempt spent, no claim left.
    const database = await openMigrated(config.database);
    try {
      const row = await database.getRepository(ImageEntity).findOneByOrFail({ id: posted.body.id });
      expect(row).toMatchObject({ status: 'pending', attempts: 0, claimedBy: null, leaseExpiresAt: null });
    } finally {
      await database.destroy();
    }

    // The in-process queue lost its message with the process: the next start publishes the image at once.
    // It answers with the configured recipe: descriptors of any other are refused as a failed attempt and retried.
    const answering = new FakeFaceAnalyzer(async () => ({ width: 64, height: 64, faces: [], recipe: config.FACE_DESCRIPTOR_RECIPE }));
    // No host given: BIND_HOST's default, loopback, for every HTTP port (the recognizer's gRPC: recognizer-auth.spec).
    const second = await startEmbedded(config, { createProcessor: processorWith(answering) });
    running.push(second);
    const interfaces = [second.receiver, second.processor, second.frontend, second.recognizer.nest].map(
      (app) => (app.getHttpServer().address() as { address: string }).address,
    );
    expect(interfaces).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const restartedAt = Date.now();
    const image = await until(
      async () => {
        const reply = await http<{ status: string }>('GET', `http://127.0.0.1:${second.ports.receiver}/images/${posted.body.id}`);
        return reply.body.status === 'unrecognized' ? reply.body : undefined;
      },
      'the image to be processed after the restart',
      30_000,
    );
    expect(image.status).toBe('unrecognized');
    expect(Date.now() - restartedAt).toBeLessThanOrEqual(15_000); // the recovery bound, measured from the start
    expect(answering.analyzeCalls.map((call) => call.path)).toEqual(['held.jpg']);
  }, 120_000);
});
