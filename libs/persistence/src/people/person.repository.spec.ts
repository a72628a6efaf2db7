import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { FaceEntity } from '../images/face.entity';
import { ImageEntity } from '../images/image.entity';
import { PersonImageEntity } from './person-image.entity';
import { PersonRepository } from './person.repository';

describe.each(TEST_DRIVERS)('PersonRepository on $name', (driver) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let persons: PersonRepository;

  beforeAll(async () => {
    database = await driver.create();
    dataSource = await openMigrated(database.config);
    persons = new PersonRepository(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    for (const table of ['faces', 'person_images', 'images', 'persons']) await dataSource.query(`DELETE FROM ${table}`);
  });

  async function create(name: string): Promise<number> {
    const result = await persons.create(name);
    if (!result.created) throw new Error(`${name} exists`);
    return result.person.id;
  }

  async function addFaces(personId: number, detected: number, known: number): Promise<number> {
    const image = await dataSource.getRepository(ImageEntity).save({ path: `img-${personId}-${Math.random()}.jpg` });
    for (let index = 0; index < detected; index += 1) {
      await dataSource
        .getRepository(FaceEntity)
        .save({ imageId: image.id, personId, box: { x: 0, y: 0, width: 1, height: 1 }, score: 0.9, distance: 0.4 });
    }
    for (let index = 0; index < known; index += 1) {
      await dataSource.getRepository(PersonImageEntity).save({
        personId,
        sourceName: `known/${personId}-${index}-${Math.random()}.jpg`,
        contentHash: 'a'.repeat(64),
        descriptor: Buffer.alloc(512),
      });
    }
    return image.id;
  }

  it('creates a person and reports a duplicate name with the existing id', async () => {
    const result = await persons.create('Ada Lovelace');
    expect(result).toMatchObject({ created: true, person: { name: 'Ada Lovelace', faceCount: 0, knownFaceCount: 0 } });
    const id = result.created ? result.person.id : -1;
    expect(result.created && result.person.createdAt).toBeInstanceOf(Date);
    expect(Number.isNaN(result.created ? result.person.createdAt.getTime() : NaN)).toBe(false);
    expect(await persons.create('Ada Lovelace')).toEqual({ created: false, existing: { id, name: 'Ada Lovelace' } });
  });

  it('refuses a name differing only in case (full case folding, NFC), naming the existing person', async () => {
    const amy = await create('Amy');
    expect(await persons.create('AMY')).toEqual({ created: false, existing: { id: amy, name: 'Amy' } });
    expect(await persons.create('amy')).toEqual({ created: false, existing: { id: amy, name: 'Amy' } });
    const strasse = await create('Straße');
    expect(await persons.create('STRASSE')).toEqual({ created: false, existing: { id: strasse, name: 'Straße' } });
    const zoe = await create('Zoë');
    // Decomposed "e" + combining diaeresis is the same name; an accent-free "Zoe" is another.
    expect(await persons.create('ZOE\u0308')).toEqual({ created: false, existing: { id: zoe, name: 'Zoë' } });
    expect(await persons.create('Zoe')).toMatchObject({ created: true });
    expect(await persons.findByNameIgnoringCase('sTRAßE')).toEqual({ id: strasse, name: 'Straße' });
    expect(await persons.findByNameIgnoringCase('nobody')).toBeUndefined();
  });

  it('lists names ignoring case and accents, numbers in numeric order, ties by id (as the dashboard does)', async () => {
    for (const name of ['bob', 'Alice 10', 'alice 9', 'Émile', 'eve', 'Zed', 'carl']) await create(name);
    const order = (await persons.list()).map((person) => person.name);
    expect(order).toEqual(['alice 9', 'Alice 10', 'bob', 'carl', 'Émile', 'eve', 'Zed']);
  });

  it('lists persons by name with matched-face and known-face counts', async () => {
    const zed = await create('Zed');
    const amy = await create('Amy');
    await addFaces(zed, 2, 1);
    await addFaces(amy, 0, 3);
    const list = await persons.list();
    expect(list.map(({ id, name, faceCount, knownFaceCount }) => ({ id, name, faceCount, knownFaceCount }))).toEqual([
      { id: amy, name: 'Amy', faceCount: 0, knownFaceCount: 3 },
      { id: zed, name: 'Zed', faceCount: 2, knownFaceCount: 1 },
    ]);
    expect(await persons.findById(zed)).toMatchObject({ id: zed, name: 'Zed', faceCount: 2, knownFaceCount: 1 });
    expect(await persons.findById(zed + amy + 100)).toBeUndefined();
  });

  it('deletes a person: known faces go, matched faces stay without a person', async () => {
    const id = await create('Temp');
    const imageId = await addFaces(id, 2, 2);
    expect(await persons.delete(id)).toBe(true);
    expect(await persons.findById(id)).toBeUndefined();
    expect(await dataSource.getRepository(PersonImageEntity).count({ where: { personId: id } })).toBe(0);
    const faces = await dataSource.getRepository(FaceEntity).find({ where: { imageId } });
    expect(faces.map((face) => face.personId)).toEqual([null, null]);
    expect(await persons.delete(id)).toBe(false);
  });

  it('merges one person into another; a merge whose source or target is gone is person_deleted and changes nothing', async () => {
    const ada = await create('Ada');
    const adaL = await create('Ada L.');
    await addFaces(ada, 1, 1);
    await addFaces(adaL, 2, 1);
    const version = Number((await dataSource.query('SELECT version FROM gallery_state'))[0]?.version ?? 0);
    const merged = await persons.merge(adaL, ada);
    expect(merged).toMatchObject({
      person: { id: ada, faceCount: 3, knownFaceCount: 2 },
      mergedPerson: { id: adaL, name: 'Ada L.' },
      movedEnrolments: 1,
      movedFaces: 2,
    });
    expect(merged?.galleryVersion).toBeGreaterThan(version);
    expect(await persons.findById(adaL)).toBeUndefined();

    // Gone source, gone target: undefined, nothing written (no version bump, the other person untouched).
    const grace = await create('Grace');
    await addFaces(grace, 1, 1);
    const before = Number((await dataSource.query('SELECT version FROM gallery_state'))[0].version);
    await expect(persons.merge(adaL, grace)).rejects.toMatchObject({ code: 'person_deleted' });
    await expect(persons.merge(grace, 2_000_000_000)).rejects.toMatchObject({ code: 'person_deleted' });
    expect(await persons.findById(grace)).toMatchObject({ faceCount: 1, knownFaceCount: 1 });
    expect(Number((await dataSource.query('SELECT version FROM gallery_state'))[0].version)).toBe(before);
  });
});
