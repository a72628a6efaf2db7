import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { personNameKey } from '@visage/persistence';
import { openMigrated, TEST_DRIVERS, TestDatabase } from './test-databases';

/**
 * Migration 1795880000000 on a database that already holds descriptors: every existing face, enrolment and gallery
 * change is tagged `crop` (what the recognizer computed before recipes), and `down` takes the columns away again.
 */
describe.each(TEST_DRIVERS)('descriptor recipes migration on $name', (driver) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await driver.create('visage_recipes');
    dataSource = await openMigrated(database.config);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const columns = async (table: string): Promise<string[]> => {
    const runner = dataSource.createQueryRunner();
    try {
      return (await runner.getTable(table))?.columns.map((column) => column.name) ?? [];
    } finally {
      await runner.release();
    }
  };

  /** Reverts the migrations from the last one back to, and including, DescriptorRecipes. */
  const undoThroughDescriptorRecipes = async () => {
    const index = dataSource.migrations.findIndex((migration) => migration.name === 'DescriptorRecipes1795880000000');
    expect(index).toBeGreaterThan(0);
    for (let undone = dataSource.migrations.length; undone > index; undone--) await dataSource.undoLastMigration();
  };

  it('tags the descriptors stored before it as crop, and its down removes the columns', async () => {
    await undoThroughDescriptorRecipes();
    expect(await columns('faces')).not.toContain('descriptor_recipe');
    const blob = Buffer.alloc(512, 1);
    await dataSource.query('INSERT INTO persons (name, name_key) VALUES (?, ?)', ['Ada', personNameKey('Ada')]);
    const [{ id: personId }] = await dataSource.query<Array<{ id: number }>>("SELECT id FROM persons WHERE name = 'Ada'");
    await dataSource.query('INSERT INTO person_images (person_id, source_name, content_hash, descriptor) VALUES (?, ?, ?, ?)', [
      personId,
      'path:ada.jpg',
      'a'.repeat(64),
      blob,
    ]);
    await dataSource.query('INSERT INTO gallery_changes (version, person_image_id, person_id, descriptor, removed) VALUES (1, 1, ?, ?, 0)', [
      personId,
      blob,
    ]);
    await dataSource.query("INSERT INTO images (path, status) VALUES ('a.jpg', 'processed')");
    const [{ id: imageId }] = await dataSource.query<Array<{ id: number }>>("SELECT id FROM images WHERE path = 'a.jpg'");
    await dataSource.query(
      'INSERT INTO faces (image_id, box_x, box_y, box_width, box_height, score, descriptor, gallery_version) VALUES (?, 0, 0, 1, 1, 0.9, ?, 1)',
      [imageId, blob],
    );

    await dataSource.runMigrations({ transaction: 'each' });
    for (const table of ['faces', 'person_images', 'gallery_changes']) {
      const rows = await dataSource.query<Array<{ descriptor_recipe: string }>>(`SELECT descriptor_recipe FROM ${table}`);
      expect(rows.map((row) => row.descriptor_recipe)).toEqual(['crop']);
    }
    const [face] = await dataSource.query<Array<{ redescription_error: string | null }>>('SELECT redescription_error FROM faces');
    expect(face.redescription_error).toBeNull();

    await undoThroughDescriptorRecipes();
    for (const table of ['faces', 'person_images', 'gallery_changes']) {
      expect(await columns(table)).not.toContain('descriptor_recipe');
      expect(await columns(table)).not.toContain('redescription_error');
    }
    expect(await dataSource.query('SELECT id FROM faces')).toHaveLength(1);
    await dataSource.runMigrations({ transaction: 'each' });
    expect(await columns('faces')).toContain('descriptor_recipe');
  });
});
