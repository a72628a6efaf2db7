import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { PersonImageEntity } from '@visage/persistence';
import { createImagesRoot, ImagesRoot, RecognizerDouble } from '../../../test/e2e/harness';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../../libs/persistence/test/test-databases';
import { QUEUE_CONSUMER, QueueServer } from '@visage/queue';
import { createImageProcessorApp } from '../src/image-processor.app';
import { ProcessorStartup } from '../src/startup/processor-startup.service';

const KNOWN_FILES = ['ada_1.jpg', 'ada_2.jpg', 'grace_1.jpg', 'linus_1.png', 'margaret_1.jpg', 'alan_1.jpg'];

/**
 * Two processors starting together against one database and one recognizer (the gRPC double, which counts
 * its calls): the known folder is enrolled once — each file analysed once, one row per file — and each
 * processor consumes only once its own gallery holds every enrolled descriptor.
 */
describe.each(TEST_DRIVERS)('two processors starting together — $name', (driver) => {
  let database: TestDatabase;
  let recognizer: RecognizerDouble;
  let images: ImagesRoot;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await driver.create('visage_startup_replicas');
    recognizer = await RecognizerDouble.start();
    images = createImagesRoot('visage-startup-replicas-');
    mkdirSync(join(images.root, 'known'));
    for (const file of KNOWN_FILES) writeFileSync(join(images.root, 'known', file), `face of ${file}`);
    const config = parseConfig({
      DATABASE_URL: database.url,
      IMAGES_ROOT: images.root,
      KNOWN_FACES_DIR: 'known',
      FACE_RECOGNITION_ADDRESS: recognizer.address,
      GALLERY_REFRESH_MS: '3600000',
    });
    // The real wiring (in-process queue, gRPC client, enroller, gallery) of two replicas created at once.
    apps.push(
      ...(await Promise.all(
        ['a', 'b'].map((name) =>
          createImageProcessorApp(config, { instanceId: `replica-${name}`, scheduleRetryJob: false, scheduleRematchJob: false, logger: false }),
        ),
      )),
    );
    await Promise.all(apps.map((app) => app.get(ProcessorStartup).whenFinished()));
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    recognizer?.stop();
    images?.remove();
    await database?.drop();
  });

  it('enrols each known file once: one analysis and one row per file', async () => {
    for (const file of KNOWN_FILES) expect(recognizer.callsFor(file)).toBe(1);
    expect(recognizer.totalCalls).toBe(KNOWN_FILES.length);
    const dataSource: DataSource = await openMigrated(database.config);
    try {
      const rows = await dataSource.getRepository(PersonImageEntity).find();
      expect(rows.map((row) => row.sourceName).sort()).toEqual(KNOWN_FILES.map((file) => `known:${file}`).sort());
    } finally {
      await dataSource.destroy();
    }
  });

  it('each processor consumes, and reports in readiness a gallery holding every enrolled descriptor', async () => {
    for (const app of apps) {
      expect(app.get<QueueServer>(QUEUE_CONSUMER).isPaused()).toBe(false);
      await app.listen(0, '127.0.0.1');
      const ready = await request(app.getHttpServer()).get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info.gallery).toEqual({ status: 'up', stage: 'consuming', version: expect.any(Number), descriptors: 6, persons: 5 });
    }
  });
});
