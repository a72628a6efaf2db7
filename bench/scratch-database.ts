import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '@visage/config';
import { createScratchMysqlDatabase, createScratchSqliteDatabase, openMigrated, TestDatabase } from '../libs/persistence/test/test-databases';
import { machineLine } from './machine';

/** A benchmark's entry point: runs `main`; a failure is printed and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/** Runs `bench` on `scratch`, migrated; then closes and drops the database, whatever happened. */
export async function onMigrated(scratch: TestDatabase, bench: (dataSource: DataSource) => Promise<void>): Promise<void> {
  const dataSource = await openMigrated(scratch.config);
  try {
    await bench(dataSource);
  } finally {
    await dataSource.destroy();
    await scratch.drop();
  }
}

/**
 * A database benchmark's whole run: Nest logs errors only, the machine line first, then `bench` on a freshly
 * migrated scratch database — SQLite in a temp dir, or MariaDB with BENCH_DATABASE=mariadb — dropped afterwards.
 */
export function runOnScratchDatabase(name: string, bench: (dataSource: DataSource, type: DatabaseConfig['type']) => Promise<void>): void {
  runBench(async () => {
    Logger.overrideLogger(['error']);
    console.log(machineLine());
    const scratch =
      process.env.BENCH_DATABASE === 'mariadb'
        ? await createScratchMysqlDatabase(`visage_bench_${name}`)
        : await createScratchSqliteDatabase(`visage-bench-${name}`);
    await onMigrated(scratch, (dataSource) => bench(dataSource, scratch.config.type));
  });
}
