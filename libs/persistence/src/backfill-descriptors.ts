import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@visage/config';
import { describeError } from '@visage/domain';
import { buildDataSourceOptions, withServerFlavor } from './data-source-options';
import { FaceIdentityRepository } from './review/face-identity.repository';
import { runPendingMigrations } from './schema-migrator';

const BATCH = 500;

/**
 * `npm run backfill-descriptors`: one-off, after upgrading a database whose faces were stored before faces kept
 * their descriptor. Every finished image with such a face goes back to `pending`, marked stale so a running
 * processor's retry job publishes it on its next RETRY_CRON tick (this command cannot reach an embedded
 * process's in-process queue); the processor analyses it again and stores faces with descriptors. Until then
 * the re-match job skips those faces. Safe to run twice: the second run finds nothing.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource(await withServerFlavor(buildDataSourceOptions(config.database)));
  await dataSource.initialize();
  try {
    await runPendingMigrations(dataSource);
    const faces = new FaceIdentityRepository(dataSource);
    let requeued = 0;
    for (;;) {
      const ids = await faces.requeueImagesWithoutDescriptors(config.PENDING_STALE_MS, BATCH);
      requeued += ids.length;
      if (ids.length < BATCH) break;
    }
    console.log(
      requeued > 0
        ? `backfill-descriptors: ${requeued} image(s) sent back to be analysed again; the processor's retry job publishes them on its next tick`
        : 'backfill-descriptors: every stored face has its descriptor; nothing to do',
    );
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`backfill-descriptors: failed: ${describeError(error)}`);
    process.exit(1);
  },
);
