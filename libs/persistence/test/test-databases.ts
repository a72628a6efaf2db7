import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '@visage/config';
import { createScratchMysqlDatabase } from '../../../test/support/database';
import { buildDataSourceOptions, withServerFlavor } from '../src/data-source-options';
import { initializeWithMigrations } from '../src/schema-migrator';

export interface TestDatabase {
  config: DatabaseConfig;
  /** DATABASE_URL form of `config`. */
  url: string;
  drop(): Promise<void>;
}

export interface TestDriver {
  name: 'mariadb' | 'sqlite';
  create(): Promise<TestDatabase>;
}

/** The two drivers every persistence and e2e suite runs against: a scratch MariaDB database and a temp SQLite file. */
export const TEST_DRIVERS: TestDriver[] = [
  {
    name: 'mariadb',
    create: async () => createScratchMysqlDatabase('visage_rcv'),
  },
  {
    name: 'sqlite',
    create: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'visage-rcv-'));
      const file = join(dir, 'visage.sqlite');
      return { config: { type: 'sqlite', file }, url: `sqlite:${file}`, drop: () => rm(dir, { recursive: true, force: true }) };
    },
  },
];

/** A data source on `database` with all migrations applied (the same path the apps take at boot). */
export async function openMigrated(database: DatabaseConfig): Promise<DataSource> {
  return initializeWithMigrations(await openUnmigrated(database));
}

/** A data source typed for the actual server (MySQL or MariaDB), not yet initialised. */
export async function openUnmigrated(database: DatabaseConfig): Promise<DataSource> {
  return new DataSource(await withServerFlavor(buildDataSourceOptions(database)));
}
