import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import mysql, { RowDataPacket } from 'mysql2/promise';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource, DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '@visage/config';
import { ENTITIES } from './entities';
import { PersonNameKeySubscriber } from './people/person.entity';
import { migrationsFor } from './migrations';

/**
 * TypeORM options for MySQL/MariaDB (mysql2) or the embedded SQLite (better-sqlite3) from DATABASE_URL.
 * The schema always comes from the migrations, in tests too.
 */
export function buildDataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    subscribers: [PersonNameKeySubscriber],
    synchronize: false,
    logging: false as const,
    migrations: migrationsFor(database.type),
    migrationsTableName: 'schema_migrations',
    // Each migration commits on its own: MySQL DDL commits implicitly anyway, so "all" would only pretend.
    migrationsTransactionMode: 'each' as const,
  };
  if (database.type === 'sqlite') {
    if (database.file !== ':memory:') mkdirSync(dirname(database.file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      driver: betterSqlite3ForThisNode(),
      database: database.file,
      // WAL lets the dashboard read while the processor writes; foreign keys are off by default in SQLite.
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
        // Deleted content is overwritten, not left in free pages: erasure must not leave a name in the file.
        db.pragma('secure_delete = ON');
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

/**
 * DATABASE_URL says `mysql://` for both MySQL and MariaDB, but TypeORM reads MariaDB's catalogue
 * differently (e.g. nullable defaults are the text `NULL`) and only knows it is talking to MariaDB when
 * the type says so. Ask the server once before opening the data source.
 */
export async function withServerFlavor(options: DataSourceOptions): Promise<DataSourceOptions> {
  if (options.type !== 'mysql') return options;
  const connection = await mysql.createConnection({
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
  });
  try {
    const [rows] = await connection.query<Array<RowDataPacket & { version: string }>>('SELECT VERSION() AS version');
    return /mariadb/i.test(String(rows[0]?.version)) ? { ...options, type: 'mariadb' } : options;
  } finally {
    await connection.end();
  }
}

/**
 * better-sqlite3 12 aborts Node ≥ 24.19 when a garbage-collected statement removes its cleanup hook
 * (`Assertion failed: (env) != nullptr`), and 13 (the fix) needs Node 22+ and crashes Node 20. Both are
 * installed (13 under the alias `better-sqlite3-v13`); the one this Node can run is loaded, only when SQLite is used.
 */
export function betterSqlite3ForThisNode(nodeVersion = process.versions.node): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- chosen at run time by Node version
  return betterSqlite3PackageFor(nodeVersion) === 'better-sqlite3-v13' ? require('better-sqlite3-v13') : require('better-sqlite3');
}

/** Which of the two builds a Node version loads (the container images keep only that one: Dockerfile). */
export function betterSqlite3PackageFor(nodeVersion: string): 'better-sqlite3' | 'better-sqlite3-v13' {
  return Number(nodeVersion.split('.')[0]) >= 22 ? 'better-sqlite3-v13' : 'better-sqlite3';
}

/** MySQL and MariaDB share the SQL this project uses (named locks, LIMIT in UPDATE, …). */
export function isMysqlFamily(options: Pick<DataSourceOptions, 'type'>): boolean {
  return options.type === 'mysql' || options.type === 'mariadb';
}

/**
 * The better-sqlite3 handle under a SQLite DataSource, for synchronous transactions: TypeORM shares one
 * connection among all async callers there, so an awaited BEGIN…COMMIT could swallow others' statements.
 */
export function sqliteConnection(dataSource: DataSource): BetterSqlite3.Database {
  return (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
}
