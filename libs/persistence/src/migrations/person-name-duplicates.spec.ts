import { afterEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { personNameKey } from '../person-name';
import { runPendingMigrations } from '../schema-migrator';
import { migrationsFor } from './index';

/** Migration 1795870000000: person names unique ignoring case, existing clashes renamed. */
describe.each(TEST_DRIVERS)('person name key migration on $name', (driver) => {
  let database: TestDatabase | undefined;
  let source: DataSource | undefined;

  afterEach(async () => {
    await source?.destroy();
    await database?.drop();
  });

  /** Reverts the name-key migration and every later one. */
  async function undoNameKey(db: DataSource): Promise<void> {
    const list = migrationsFor(database!.config.type);
    for (let index = list.findIndex((migration) => migration.name === 'PersonNameKey1795870000000'); index < list.length; index++)
      await db.undoLastMigration();
  }

  /** A database migrated up to, not including, the name-key migration. */
  async function beforeNameKey(): Promise<DataSource> {
    database = await driver.create();
    source = await openMigrated(database.config);
    await undoNameKey(source);
    // MySQL's column follows the database's collation: case-insensitive by default (no clash could be stored), but
    // a server or database with a binary or case-sensitive default collation stores both "Amy" and "amy".
    if (driver.name !== 'sqlite') await source.query('ALTER TABLE persons MODIFY name varchar(255) COLLATE utf8mb4_bin NOT NULL');
    return source;
  }

  const names = async (db: DataSource) =>
    (await db.query<Array<{ id: number; name: string }>>('SELECT id, name FROM persons ORDER BY id')).map((row) => [Number(row.id), row.name]);

  it('keeps the oldest of names differing only in case, renames the others to the first free "(n)", and audits it', async () => {
    const db = await beforeNameKey();
    for (const name of ['Amy', 'AMY', 'amy', 'Amy (2)', 'Bob', 'Straße', 'STRASSE']) await db.query('INSERT INTO persons (name) VALUES (?)', [name]);
    await runPendingMigrations(db);

    expect(await names(db)).toEqual([
      [1, 'Amy'],
      [2, 'AMY (3)'],
      [3, 'amy (4)'],
      [4, 'Amy (2)'],
      [5, 'Bob'],
      [6, 'Straße'],
      [7, 'STRASSE (2)'],
    ]);
    const audit = await db.query<Array<{ actor: string; action: string; target: string; details: string }>>(
      "SELECT actor, action, target, details FROM audit_events WHERE action = 'person.renamed' ORDER BY id",
    );
    expect(audit.map((row) => [row.actor, row.target, JSON.parse(row.details).from, JSON.parse(row.details).to])).toEqual([
      ['migration', 'person:2', 'AMY', 'AMY (3)'],
      ['migration', 'person:3', 'amy', 'amy (4)'],
      ['migration', 'person:7', 'STRASSE', 'STRASSE (2)'],
    ]);
    const keys = await db.query<Array<{ name: string; name_key: string }>>('SELECT name, name_key FROM persons');
    expect(keys.every((row) => row.name_key === personNameKey(row.name))).toBe(true);
    await expect(db.query('INSERT INTO persons (name, name_key) VALUES (?, ?)', ['bob', personNameKey('bob')])).rejects.toThrow(/duplicate|unique/i);
    expect(await db.driver.createSchemaBuilder().log()).toMatchObject({ upQueries: [] });
  });

  it('keeps enrolments, faces and their foreign keys, and never reuses a deleted person id', async () => {
    const db = await beforeNameKey();
    for (const name of ['Ada', 'Deleted', 'Grace']) await db.query('INSERT INTO persons (name) VALUES (?)', [name]);
    await db.query("DELETE FROM persons WHERE name = 'Grace'");
    await db.query("INSERT INTO person_images (person_id, source_name, content_hash, descriptor) VALUES (1, 'known:ada_1.jpg', 'h', ?)", [
      Buffer.alloc(512),
    ]);
    await runPendingMigrations(db);

    expect(await db.query('SELECT person_id AS personId FROM person_images')).toEqual([{ personId: 1 }]);
    await db.query('INSERT INTO persons (name, name_key) VALUES (?, ?)', ['Linus', personNameKey('Linus')]);
    expect(await names(db)).toEqual([
      [1, 'Ada'],
      [2, 'Deleted'],
      [4, 'Linus'],
    ]);
    // The enrolment still belongs to person 1 through the foreign key (cascade on delete).
    await db.query('DELETE FROM persons WHERE id = 1');
    expect(Number((await db.query<Array<{ count: number | string }>>('SELECT COUNT(*) AS count FROM person_images'))[0].count)).toBe(0);
  });

  it('can be reverted: the exact-name unique index is back, the renamed names stay', async () => {
    const db = await beforeNameKey();
    for (const name of ['Amy', 'amy']) await db.query('INSERT INTO persons (name) VALUES (?)', [name]);
    await runPendingMigrations(db);
    await undoNameKey(db);
    expect(await names(db)).toEqual([
      [1, 'Amy'],
      [2, 'amy (2)'],
    ]);
    await expect(db.query("INSERT INTO persons (name) VALUES ('Amy')")).rejects.toThrow(/duplicate|unique/i);
    await db.query("INSERT INTO persons (name) VALUES ('AMY')");
  });
});
