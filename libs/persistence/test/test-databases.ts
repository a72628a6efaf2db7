/**
 * Every database helper of the test suites, in one place: scratch databases on the test machine's MariaDB
 * and in temporary SQLite files, data sources migrated the way the apps migrate at boot, and row builders.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource, DeepPartial } from 'typeorm';
import { DatabaseConfig } from '@visage/config';
import { ImageStatus } from '@visage/domain';
import { buildDataSourceOptions, withServerFlavor } from '../src/data-source-options';
import { FaceEntity } from '../src/images/face.entity';
import { ImageEntity } from '../src/images/image.entity';
import { PersonEntity } from '../src/people/person.entity';
import { PersonImageEntity } from '../src/people/person-image.entity';
import { initializeWithMigrations } from '../src/schema-migrator';

/** The real MariaDB of the test machine; override with TEST_MYSQL_URL. */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306/test';

/** A throw-away database: created empty for one test file, dropped afterwards. */
export interface TestDatabase {
  name: 'mariadb' | 'sqlite';
  config: DatabaseConfig;
  /** DATABASE_URL form of `config`. */
  url: string;
  drop(): Promise<void>;
}

export interface TestDriver {
  name: TestDatabase['name'];
  create(prefix?: string): Promise<TestDatabase>;
}

/** A connection to the test server as its administrator, outside any database. */
export function adminConnection(): Promise<mysql.Connection> {
  const admin = new URL(TEST_MYSQL_URL);
  return mysql.createConnection({
    host: admin.hostname,
    port: Number(admin.port || 3306),
    user: decodeURIComponent(admin.username),
    password: decodeURIComponent(admin.password),
  });
}

/** Creates a uniquely named MariaDB database for one test file; `drop()` removes it. */
export async function createScratchMysqlDatabase(prefix = 'visage_test'): Promise<TestDatabase> {
  const admin = new URL(TEST_MYSQL_URL);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const connection = await adminConnection();
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    name: 'mariadb',
    url: url.toString(),
    config: {
      type: 'mysql',
      url: url.toString(),
      host: admin.hostname,
      port: Number(admin.port || 3306),
      username: decodeURIComponent(admin.username),
      password: decodeURIComponent(admin.password),
      database: name,
    },
    drop: async () => {
      const dropper = await adminConnection();
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}

/** A SQLite file in a fresh temporary directory; `drop()` removes the directory. */
export async function createScratchSqliteDatabase(prefix = 'visage-test'): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const file = join(dir, 'visage.sqlite');
  return { name: 'sqlite', config: { type: 'sqlite', file }, url: `sqlite:${file}`, drop: () => rm(dir, { recursive: true, force: true }) };
}

export const MARIADB_DRIVER: TestDriver = { name: 'mariadb', create: (prefix) => createScratchMysqlDatabase(prefix) };
export const SQLITE_DRIVER: TestDriver = { name: 'sqlite', create: (prefix) => createScratchSqliteDatabase(prefix) };

/** The two drivers every persistence and e2e suite runs against: a scratch MariaDB database and a temp SQLite file. */
export const TEST_DRIVERS: TestDriver[] = [MARIADB_DRIVER, SQLITE_DRIVER];

/** A data source on `database` with all migrations applied (the same path the apps take at boot). */
export async function openMigrated(database: DatabaseConfig): Promise<DataSource> {
  return initializeWithMigrations(await openUnmigrated(database));
}

/** A data source typed for the actual server (MySQL or MariaDB), not yet initialised. */
export async function openUnmigrated(database: DatabaseConfig): Promise<DataSource> {
  return new DataSource(await withServerFlavor(buildDataSourceOptions(database)));
}

/** A scratch database with its schema and the test's own connection to it. */
export interface MigratedTestDatabase extends TestDatabase {
  dataSource: DataSource;
  /** Closes the connection and drops the database. */
  close(): Promise<void>;
}

export async function openTestDatabase(driver: TestDriver = SQLITE_DRIVER, prefix?: string): Promise<MigratedTestDatabase> {
  const database = await driver.create(prefix);
  const dataSource = await openMigrated(database.config);
  return {
    ...database,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}

/** Inserts rows directly, for tests that need a database in a given state. */
export class Rows {
  constructor(private readonly dataSource: DataSource) {}

  image(path: string, fields: DeepPartial<ImageEntity> & { status?: ImageStatus } = {}): Promise<ImageEntity> {
    const repository = this.dataSource.getRepository(ImageEntity);
    return repository.save(repository.create({ path, ...fields }));
  }

  person(name: string): Promise<PersonEntity> {
    const repository = this.dataSource.getRepository(PersonEntity);
    return repository.save(repository.create({ name }));
  }

  face(
    imageId: number,
    person: Pick<PersonEntity, 'id'> | null,
    box = { x: 10, y: 20, width: 30, height: 40 },
    distance: number | null = person ? 0.42 : null,
  ): Promise<FaceEntity> {
    const repository = this.dataSource.getRepository(FaceEntity);
    return repository.save(
      repository.create({
        imageId,
        personId: person?.id ?? null,
        box,
        score: 0.98,
        distance,
      }),
    );
  }

  enrolled(personId: number, sourceName: string): Promise<PersonImageEntity> {
    const repository = this.dataSource.getRepository(PersonImageEntity);
    return repository.save(
      repository.create({
        personId,
        sourceName,
        contentHash: sourceName.padEnd(64, '0').slice(0, 64),
        descriptor: Buffer.alloc(512),
      }),
    );
  }

  async setStatus(id: number, status: ImageStatus, fields: DeepPartial<ImageEntity> = {}): Promise<void> {
    await this.dataSource.getRepository(ImageEntity).update({ id }, { status, ...fields });
  }
}
