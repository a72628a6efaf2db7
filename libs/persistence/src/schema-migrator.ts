import { DataSource, Migration } from 'typeorm';
import { isMysqlFamily } from './data-source-options';

/** Name of the MySQL advisory lock that serialises migrations across processes. */
export const MIGRATION_LOCK_NAME = 'visage_schema_migrations';
const LOCK_WAIT_SECONDS = 120;

/** The embedded launcher opens one data source per app on the same SQLite file: migrate them one at a time. */
let sqliteMigrations: Promise<unknown> = Promise.resolve();

/**
 * Runs the pending migrations of an initialised data source and returns the ones it applied.
 *
 * Every app (and the `migrate` CLI) calls this at boot, so several processes may start at once against
 * the same MySQL database. TypeORM's own `migrationsRun` reads the list of executed migrations without a
 * lock, so two processes could both run the same DDL and one would crash. A MySQL named lock makes the
 * others wait, and they then find nothing pending. SQLite is only used by the single embedded process,
 * so an in-process queue is enough there.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  if (!isMysqlFamily(dataSource.options)) {
    const run = sqliteMigrations.then(() => dataSource.runMigrations({ transaction: 'each' }));
    sqliteMigrations = run.catch(() => undefined);
    return run;
  }

  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    const rows: Array<{ acquired: number | null }> = await lockRunner.query('SELECT GET_LOCK(?, ?) AS acquired', [
      MIGRATION_LOCK_NAME,
      LOCK_WAIT_SECONDS,
    ]);
    if (Number(rows[0]?.acquired) !== 1) {
      throw new Error(`could not acquire the migration lock within ${LOCK_WAIT_SECONDS}s`);
    }
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lockRunner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK_NAME]);
    }
  } finally {
    await lockRunner.release();
  }
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
