import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '@visage/config';
import { ENTITIES } from './entities';

export interface DataSourceBuildOptions {
  /** Create the schema from the entities instead of running migrations (throw-away test databases only). */
  synchronize?: boolean;
}

/** TypeORM options for MySQL/MariaDB (mysql2) or the embedded SQLite (better-sqlite3) from DATABASE_URL. */
export function buildDataSourceOptions(database: DatabaseConfig, options: DataSourceBuildOptions = {}): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    synchronize: options.synchronize ?? false,
    logging: false as const,
  };
  if (database.type === 'sqlite') {
    if (database.file !== ':memory:') mkdirSync(dirname(database.file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.file,
      // WAL lets the dashboard read while the processor writes; foreign keys are off by default in SQLite.
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    host: database.host,
    port: database.port,
    username: database.username,
    password: database.password,
    database: database.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    extra: { connectionLimit: 10 },
  };
}
