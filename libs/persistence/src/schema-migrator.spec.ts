import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigrated, openUnmigrated, TEST_DRIVERS, TestDatabase } from '../test/test-databases';
import { migrationsFor } from './migrations';
import { personNameKey } from './person-name';
import { runPendingMigrations } from './schema-migrator';

describe.each(TEST_DRIVERS)('migrations on $name', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await driver.create();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('applies every migration once even when several processes start together', async () => {
    const sources = await Promise.all([0, 1, 2].map(() => openUnmigrated(database.config)));
    await Promise.all(sources.map((source) => source.initialize()));
    try {
      const applied = await Promise.all(sources.map((source) => runPendingMigrations(source)));
      expect(applied.map((list) => list.length).sort()).toEqual([0, 0, migrationsFor(database.config.type).length]);
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
    }
  });

  it('leaves no difference between the entities and the migrated schema', async () => {
    const source = await openMigrated(database.config);
    try {
      const log = await source.driver.createSchemaBuilder().log();
      expect(log.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await source.destroy();
    }
  });

  it('enforces the foreign keys and the unique indexes', async () => {
    const source = await openMigrated(database.config);
    try {
      const runner = source.createQueryRunner();
      const table = await runner.getTable('faces');
      await runner.release();
      expect(table?.foreignKeys.map((key) => [key.name, key.columnNames[0], key.onDelete]).sort()).toEqual([
        ['fk_faces_image', 'image_id', 'CASCADE'],
        ['fk_faces_person', 'person_id', 'SET NULL'],
      ]);
      await expect(
        source.query('INSERT INTO faces (image_id, box_x, box_y, box_width, box_height, score) VALUES (999999, 0, 0, 1, 1, 0.9)'),
      ).rejects.toThrow(/foreign key/i);
      await source.query('INSERT INTO persons (name, name_key) VALUES (?, ?)', ['Ada', personNameKey('Ada')]);
      // Names are unique ignoring case.
      await expect(source.query('INSERT INTO persons (name, name_key) VALUES (?, ?)', ['ADA', personNameKey('ADA')])).rejects.toThrow(
        /duplicate|unique/i,
      );
    } finally {
      await source.destroy();
    }
  });

  it('keeps the outbox, its face snapshots and its deliveries when erasure events come in, and outcomes when they go', async () => {
    const source = await openMigrated(database.config);
    try {
      await source.undoLastMigration(); // the outbox as it was before erasure events
      await source.query('DELETE FROM outcome_events');
      await source.query(
        "INSERT INTO outcome_events (event_id, batch_id, image_id, path, status, gallery_version, created_at) VALUES ('e-1', 'b-1', 7, 'a.jpg', 'processed', 3, '2026-12-01 10:00:00.000')",
      );
      const [{ id }] = (await source.query("SELECT id FROM outcome_events WHERE event_id = 'e-1'")) as Array<{ id: number }>;
      await source.query('INSERT INTO outcome_event_faces (event_row_id, face_id, box_x, box_y, box_width, box_height) VALUES (?, 1, 0, 0, 1, 1)', [
        id,
      ]);
      await source.query(
        "INSERT INTO webhook_deliveries (event_row_id, endpoint, next_attempt_at) VALUES (?, 'http://a.test/', '2026-12-01 10:00:00.000')",
        [id],
      );
      const counts = async () =>
        Promise.all(
          ['outcome_events', 'outcome_event_faces', 'webhook_deliveries'].map(async (table) =>
            Number(((await source.query(`SELECT COUNT(*) AS n FROM ${table}`)) as Array<{ n: number }>)[0].n),
          ),
        );

      await runPendingMigrations(source);
      expect(await counts()).toEqual([1, 1, 1]);
      expect(
        await source.query("SELECT event_type AS eventType, image_id AS imageId, person_id AS personId FROM outcome_events WHERE event_id = 'e-1'"),
      ).toEqual([{ eventType: 'image.outcome', imageId: 7, personId: null }]);
      await source.query(
        "INSERT INTO outcome_events (event_id, batch_id, event_type, person_id, created_at) VALUES ('e-2', 'b-2', 'person.deleted', 5, '2026-12-01 10:00:01.000')",
      );

      await source.undoLastMigration(); // an erasure has no place in the old outbox; outcomes stay
      expect(await counts()).toEqual([1, 1, 1]);
      await runPendingMigrations(source);
      await source.query('DELETE FROM outcome_events');
    } finally {
      await source.destroy();
    }
  });

  it('can be reverted by the down migrations', async () => {
    const source = await openMigrated(database.config);
    try {
      for (let index = 0; index < migrationsFor(database.config.type).length; index += 1) await source.undoLastMigration();
      const runner = source.createQueryRunner();
      const remaining = await Promise.all(
        [
          'images',
          'persons',
          'person_images',
          'faces',
          'gallery_state',
          'gallery_changes',
          'face_rejections',
          'face_clusters',
          'cluster_members',
          'cluster_exclusions',
          'clustering_state',
          'outcome_events',
          'outcome_event_faces',
          'webhook_deliveries',
        ].map((name) => runner.hasTable(name)),
      );
      await runner.release();
      expect(remaining.every((exists) => !exists)).toBe(true);
      await runPendingMigrations(source);
      expect(await source.driver.createSchemaBuilder().log()).toMatchObject({ upQueries: [] });
    } finally {
      await source.destroy();
    }
  });
});
