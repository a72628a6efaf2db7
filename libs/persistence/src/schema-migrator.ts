import { DataSource, Migration } from 'typeorm';
import { DatabaseLock, LockRepository } from './shared/lock.repository';

const MIGRATION_LOCK_WAIT_MS = 120_000;

/**
 * Runs the pending migrations of an initialised data source and returns the ones it applied.
 *
 * Every app (and the `migrate` CLI) calls this at boot, so several processes may start at once against
 * the same database. TypeORM's own `migrationsRun` reads the list of executed migrations without a lock,
 * so two processes could both run the same DDL and one would crash. The migration lock makes the others
 * wait, and they then find nothing pending.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  return new LockRepository(dataSource).withLock(DatabaseLock.SchemaMigrations, () => dataSource.runMigrations({ transaction: 'each' }), {
    waitMs: MIGRATION_LOCK_WAIT_MS,
  });
}

/** Opens a data source and brings its schema up to date. */
export async function initializeWithMigrations(dataSource: DataSource): Promise<DataSource> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  try {
    await runPendingMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
