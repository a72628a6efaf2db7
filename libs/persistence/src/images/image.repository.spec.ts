import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { PersonEntity } from '../people/person.entity';
import { decodeImageCursor } from './image-cursor';
import { ImageRepository } from './image.repository';

describe.each(TEST_DRIVERS)('ImageRepository on $name', (driver) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let images: ImageRepository;

  beforeAll(async () => {
    database = await driver.create();
    dataSource = await openMigrated(database.config);
    images = new ImageRepository(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM faces');
    await dataSource.query('DELETE FROM images');
    await dataSource.query('DELETE FROM persons');
  });

  async function setStatus(id: number, status: ImageEntity['status'], extra: Partial<ImageEntity> = {}): Promise<void> {
    await dataSource.getRepository(ImageEntity).update({ id }, { status, ...extra });
  }

  it('creates a pending row and reports a duplicate path with the existing id', async () => {
    const first = await images.create('a/one.jpg');
    expect(first.created).toBe(true);
    const id = first.created ? first.id : -1;
    expect(await images.findById(id)).toMatchObject({ id, path: 'a/one.jpg', status: 'pending', attempts: 0, faces: [] });
    expect(await images.create('a/one.jpg')).toEqual({ created: false, existingId: id });
    const second = await images.create('a/two.jpg');
    expect(second).toMatchObject({ created: true });
    expect(second.created && second.id).not.toBe(id);
  });

  it('compares paths byte for byte: case and accents make different files', async () => {
    const results = await Promise.all(['case/IMG.jpg', 'case/img.jpg', 'case/é.jpg', 'case/e.jpg'].map((path) => images.create(path)));
    expect(results.every((result) => result.created)).toBe(true);
    expect(await images.create('case/img.jpg')).toMatchObject({ created: false, existingId: results[1]!.created ? results[1]!.id : -1 });
  });

  it('returns faces in order with their matched person, or null', async () => {
    const created = await images.create('group.jpg');
    if (!created.created) throw new Error('not created');
    const person = await dataSource.getRepository(PersonEntity).save({ name: 'Grace' });
    const faces = dataSource.getRepository(FaceEntity);
    await faces.save({ imageId: created.id, personId: person.id, box: { x: 1, y: 2, width: 30, height: 40 }, score: 0.99, distance: 0.31 });
    await faces.save({ imageId: created.id, personId: null, box: { x: 5, y: 6, width: 7, height: 8 }, score: 0.7, distance: null });
    await setStatus(created.id, 'processed', { width: 640, height: 480 });

    const details = await images.findById(created.id);
    expect(details).toMatchObject({ status: 'processed', width: 640, height: 480 });
    expect(details?.faces).toHaveLength(2);
    expect(details?.faces[0]).toMatchObject({ box: { x: 1, y: 2, width: 30, height: 40 }, person: { id: person.id, name: 'Grace' } });
    expect(details?.faces[0]?.distance).toBeCloseTo(0.31, 5);
    expect(details?.faces[0]?.score).toBeCloseTo(0.99, 5);
    expect(details?.faces[1]).toMatchObject({ person: null, distance: null });
    expect(await images.findById(created.id + 1000)).toBeUndefined();
  });

  it('lists newest first with keyset pagination, with and without a status filter', async () => {
    const ids: number[] = [];
    for (let index = 0; index < 7; index += 1) {
      const result = await images.create(`page/${index}.jpg`);
      if (result.created) ids.push(result.id);
    }
    for (const id of ids.filter((_, index) => index % 2 === 0)) await setStatus(id, 'failed');
    const newestFirst = [...ids].reverse();

    const seen: number[] = [];
    let page = await images.list({ limit: 3 });
    seen.push(...page.items.map((item) => item.id));
    while (page.nextCursor) {
      const cursor = decodeImageCursor(page.nextCursor);
      page = await images.list({ limit: 3, cursor });
      seen.push(...page.items.map((item) => item.id));
    }
    expect(seen).toEqual(newestFirst);

    const failed = await images.list({ status: 'failed', limit: 2 });
    expect(failed.items.map((item) => item.id)).toEqual(newestFirst.filter((id) => ids.indexOf(id) % 2 === 0).slice(0, 2));
    const rest = await images.list({ status: 'failed', limit: 2, cursor: decodeImageCursor(failed.nextCursor ?? '') });
    expect(rest.items.map((item) => item.id)).toEqual(newestFirst.filter((id) => ids.indexOf(id) % 2 === 0).slice(2, 4));
    expect(rest.nextCursor).toBeNull();
    expect((await images.list({ status: 'processed', limit: 5 })).items).toEqual([]);
  });

  it('counts images per status, including zeros', async () => {
    for (const name of ['c1', 'c2', 'c3']) await images.create(name);
    const [first] = (await images.list({ limit: 1 })).items;
    await setStatus(first!.id, 'unrecognized');
    expect(await images.countByStatus()).toEqual({ pending: 2, processing: 0, retrying: 0, processed: 0, unrecognized: 1, failed: 0 });
  });
});
