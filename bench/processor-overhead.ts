/**
 * Processor overhead per image without the recognizer: claim + read + match + one-transaction store, with a
 * recognizer that answers instantly (1 known face). Compare with the recognizer's own time per image to
 * judge the "pipeline overhead ≤ 10 % of recognizer time" target.
 *
 *   npx tsx bench/processor-overhead.ts [images=500] [concurrency=4]
 *   (MariaDB at TEST_MYSQL_URL, default root@127.0.0.1:3306, and a temporary SQLite file)
 */
import { machineLine } from './machine';
import { Logger } from '@nestjs/common';
import { parseConfig } from '@visage/config';
import { ImageEntity, PersonEntity } from '@visage/persistence';
import { openTestDatabase, TEST_DRIVERS, TestDriver } from '../libs/persistence/test/test-databases';
import { FakeConsumer, FakeMatcher } from '../apps/image-processor/test/fakes';
import { RecognizerBreaker } from '../apps/image-processor/src/breaker/recognizer-breaker';
import { ImageProcessingRepository } from '@visage/persistence';
import { ProcessImageService } from '../apps/image-processor/src/processing/process-image.service';
import { processorSettingsFrom } from '../apps/image-processor/src/processor.settings';
import { FakeFaceAnalyzer, facesFromPath } from '../test/support/fake-face-analyzer';

const images = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? 4);

async function measure(driver: TestDriver): Promise<void> {
  const database = await openTestDatabase(driver, 'visage_bench');
  const dataSource = database.dataSource;
  try {
    const person = await dataSource.getRepository(PersonEntity).save({ name: 'Ada' });
    const rows = await dataSource.getRepository(ImageEntity).save(
      Array.from({ length: images }, (_, index) => ({ path: `${index}/faces/${person.id}.jpg`, status: 'pending' as const })),
      { chunk: 200 },
    );
    const settings = processorSettingsFrom(parseConfig({}), 'bench');
    const analyzer = new FakeFaceAnalyzer(facesFromPath);
    const breaker = new RecognizerBreaker(analyzer, settings.breaker, new FakeConsumer());
    const service = new ProcessImageService(
      new ImageProcessingRepository(dataSource),
      breaker,
      new FakeMatcher(new Map([[person.id, 'Ada']])),
      settings,
    );
    const queue = rows.map((row) => row.id);
    const started = process.hrtime.bigint();
    let processed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          if ((await service.process(id)).status === 'processed') processed += 1;
        }
      }),
    );
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    breaker.shutdown();
    console.log(
      `${driver.name.padEnd(8)} ${processed}/${images} processed in ${elapsedMs.toFixed(0)} ms: ` +
        `${((images * 1000) / elapsedMs).toFixed(0)} images/s, ${(elapsedMs / images).toFixed(2)} ms/image wall, concurrency ${concurrency}`,
    );
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  console.log(machineLine());
  for (const driver of [...TEST_DRIVERS].reverse()) await measure(driver);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
