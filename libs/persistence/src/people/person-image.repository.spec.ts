import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH } from '@visage/domain';
import { MigratedTestDatabase, openTestDatabase, TEST_DRIVERS } from '../../test/test-databases';
import { PersonEntity } from './person.entity';
import { PersistenceError } from '../shared/database-errors';
import { decodeDescriptor, encodeDescriptor } from '../shared/descriptor-codec';
import { KNOWN_SOURCE_PREFIX, PersonImageRepository } from './person-image.repository';

function descriptor(seed: number): Float32Array {
  return Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, i) => Math.sin(seed * 31 + i) / 3);
}

describe('descriptor codec', () => {
  it('round-trips a descriptor through four little-endian bytes a float', () => {
    const original = descriptor(1);
    const blob = encodeDescriptor(original);
    expect(blob).toHaveLength(DESCRIPTOR_LENGTH * 4);
    expect(blob.readFloatLE(4)).toBeCloseTo(original[1], 6);
    expect(Array.from(decodeDescriptor(blob))).toEqual(Array.from(original));
    expect(() => decodeDescriptor(Buffer.alloc(10))).toThrow(RangeError);
  });
});

describe.each(TEST_DRIVERS)('PersonImageRepository on $name', (driver) => {
  let database: MigratedTestDatabase;
  let dataSource: DataSource;
  let repository: PersonImageRepository;

  beforeAll(async () => {
    database = await openTestDatabase(driver, 'visage_recognizer');
    dataSource = database.dataSource;
    repository = new PersonImageRepository(dataSource);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('creates a person once per name', async () => {
    const first = await repository.findOrCreatePerson('john doe');
    const again = await repository.findOrCreatePerson('john doe');
    expect(again.id).toBe(first.id);
    expect((await repository.findPersonById(first.id))?.name).toBe('john doe');
    expect(await repository.findPersonById(999_999)).toBeNull();
  });

  it('finds a person by name ignoring case, creating nobody for a name differing only in case', async () => {
    const jane = await repository.findOrCreatePerson('Jane Roe');
    expect(await repository.findOrCreatePerson('JANE ROE')).toMatchObject({ id: jane.id, name: 'Jane Roe' });
    expect(await repository.findPersonByNameIgnoringCase('jane roe')).toEqual({ id: jane.id, name: 'Jane Roe' });
  });

  it("says person_deleted, not the driver's foreign-key error, when the person is gone, and changes nothing", async () => {
    const gone = await repository.findOrCreatePerson('gone meanwhile');
    await dataSource.getRepository(PersonEntity).delete({ id: gone.id });
    const version = await repository.version();
    const enrolment = {
      personId: gone.id,
      sourceName: 'path:uploads/gone.jpg',
      contentHash: 'c'.repeat(64),
      descriptor: descriptor(3),
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
    };
    await expect(repository.replaceEnrolment(enrolment)).rejects.toSatisfy(
      (error) => error instanceof PersistenceError && error.code === 'person_deleted',
    );
    expect(await repository.version()).toBe(version);
    expect(await repository.listByPrefix('path:uploads/gone')).toEqual([]);
  });

  it('stores, replaces and drops enrolments, bumping the gallery version each time', async () => {
    const amy = await repository.findOrCreatePerson('amy');
    const bob = await repository.findOrCreatePerson('bob');
    const v0 = await repository.version();

    const firstId = await repository.replaceEnrolment({
      personId: amy.id,
      sourceName: `${KNOWN_SOURCE_PREFIX}amy_1.png`,
      contentHash: 'a'.repeat(64),
      descriptor: descriptor(1),
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
    });
    await repository.replaceEnrolment({
      personId: bob.id,
      sourceName: 'path:uploads/bob.jpg',
      contentHash: 'b'.repeat(64),
      descriptor: descriptor(2),
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
    });
    const v1 = await repository.version();
    expect(v1).toBe(v0 + 2);
    expect(await repository.version()).toBe(v1);

    const { version: loaded, entries: gallery } = await repository.loadGallery();
    expect(loaded).toBe(v1);
    expect(gallery.map((row) => row.personName)).toEqual(['amy', 'bob']);
    expect(gallery[0].descriptor[5]).toBeCloseTo(descriptor(1)[5], 6);

    // Same source, new content: one row, new id, new descriptor.
    const secondId = await repository.replaceEnrolment({
      personId: amy.id,
      sourceName: `${KNOWN_SOURCE_PREFIX}amy_1.png`,
      contentHash: 'c'.repeat(64),
      descriptor: descriptor(3),
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
    });
    expect(secondId).not.toBe(firstId);
    const known = await repository.listByPrefix(KNOWN_SOURCE_PREFIX);
    expect(known).toEqual([
      {
        id: secondId,
        personId: amy.id,
        sourceName: `${KNOWN_SOURCE_PREFIX}amy_1.png`,
        contentHash: 'c'.repeat(64),
        recipe: DEFAULT_DESCRIPTOR_RECIPE,
      },
    ]);
    const v2 = await repository.version();
    expect(v2).toBe(v1 + 1);

    await repository.deleteEnrolments([secondId]);
    expect(await repository.listByPrefix(KNOWN_SOURCE_PREFIX)).toEqual([]);
    expect(await repository.version()).toBe(v2 + 1);
    expect((await repository.loadGallery()).entries.map((row) => row.personName)).toEqual(['bob']);
    // Nothing to delete: nothing changed, the version stays.
    await repository.deleteEnrolments([]);
    expect(await repository.version()).toBe(v2 + 1);
  });

  it('loads only the enrolments of its configured recipe into the gallery, and logs changes with their recipe', async () => {
    const chipFlip = new PersonImageRepository(dataSource, 'chip-flip');
    const crop = new PersonImageRepository(dataSource, 'crop');
    const cleo = await chipFlip.findOrCreatePerson('cleo');
    const oldId = await crop.replaceEnrolment({
      personId: cleo.id,
      sourceName: 'path:cleo-old.jpg',
      contentHash: 'd'.repeat(64),
      descriptor: descriptor(4),
      recipe: 'crop',
    });
    const newId = await chipFlip.replaceEnrolment({
      personId: cleo.id,
      sourceName: 'path:cleo-new.jpg',
      contentHash: 'e'.repeat(64),
      descriptor: descriptor(5),
      recipe: 'chip-flip',
    });
    const ids = async (repository: PersonImageRepository) =>
      (await repository.loadGallery()).entries.map((entry) => entry.id).filter((id) => id === oldId || id === newId);
    expect(await ids(chipFlip)).toEqual([newId]);
    expect(await ids(crop)).toEqual([oldId]);
    const logged = await dataSource.query<Array<{ person_image_id: number; descriptor_recipe: string }>>(
      'SELECT person_image_id, descriptor_recipe FROM gallery_changes WHERE person_image_id IN (?, ?) ORDER BY person_image_id',
      [oldId, newId],
    );
    expect(logged.map((row) => [Number(row.person_image_id), row.descriptor_recipe])).toEqual([
      [oldId, 'crop'],
      [newId, 'chip-flip'],
    ]);
  });

  it('treats LIKE wildcards and escape characters in a prefix literally', async () => {
    expect(await repository.listByPrefix('%')).toEqual([]);
    const wild = await repository.findOrCreatePerson('wild cards');
    // Each prefix below also matches a neighbour of its literal row if `_`, `%`, `\` or `!` acts as a wildcard or escape.
    const sources = [
      'a_b1.jpg',
      'axb1.jpg',
      'a%b2.jpg',
      'a%%b2.jpg',
      'axyb2.jpg',
      'a\\b3.jpg',
      'a\\\\b3.jpg',
      'a!b4.jpg',
      'a!!b4.jpg',
      'ab4.jpg',
    ].map((name) => `path:like/${name}`);
    const ids: number[] = [];
    for (const [index, sourceName] of sources.entries()) {
      ids.push(
        await repository.replaceEnrolment({
          personId: wild.id,
          sourceName,
          contentHash: 'w'.repeat(64),
          descriptor: descriptor(index),
          recipe: 'crop',
        }),
      );
    }
    try {
      const listed = async (prefix: string) => (await repository.listByPrefix(`path:like/${prefix}`)).map((row) => row.sourceName);
      expect(await listed('a_b')).toEqual(['path:like/a_b1.jpg']);
      expect(await listed('a%b')).toEqual(['path:like/a%b2.jpg']);
      expect(await listed('a\\b')).toEqual(['path:like/a\\b3.jpg']);
      expect(await listed('a!b')).toEqual(['path:like/a!b4.jpg']);
      expect(await listed('a')).toEqual(sources);
    } finally {
      await repository.deleteEnrolments(ids);
    }
  });

  it('reads the winner of a lost creation again, and says duplicate_name, not the driver error, after two losses', async () => {
    const held = await repository.findOrCreatePerson('held name');
    const persons = dataSource.getRepository(PersonEntity);
    // The first read misses the holder (as a loser of the race does), so the insert hits the unique index.
    const missing = vi.spyOn(persons, 'findOneBy').mockResolvedValueOnce(null);
    try {
      expect(await repository.findOrCreatePerson('HELD NAME')).toMatchObject({ id: held.id });
      missing.mockResolvedValue(null); // every read misses: the name stays taken by a row never seen
      const refusal = await repository.findOrCreatePerson('held name').catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(PersistenceError);
      expect(refusal).toMatchObject({ code: 'duplicate_name' });
    } finally {
      missing.mockRestore();
    }
    expect(await persons.countBy({ name: 'held name' })).toBe(1);
  });

  it('lets two concurrent first enrolments of the same file and name both succeed: one person, one enrolment', async () => {
    // Two enrollers (two processes starting at once) meeting a new known-faces file: both find no person and no
    // enrolment, both create and insert. Several rounds, since whether they collide depends on the interleaving.
    const rivals = [new PersonImageRepository(dataSource), new PersonImageRepository(dataSource)];
    for (let round = 0; round < 12; round++) {
      const name = `race ${round}`;
      const sourceName = `${KNOWN_SOURCE_PREFIX}race-${round}.jpg`;
      const outcomes = await Promise.allSettled(
        rivals.map(async (rival, index) => {
          const person = await rival.findOrCreatePerson(name);
          await rival.replaceEnrolment({
            personId: person.id,
            sourceName,
            contentHash: 'r'.repeat(64),
            descriptor: descriptor(index),
            recipe: 'crop',
          });
          return person.id;
        }),
      );
      expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok'))).toEqual(['ok', 'ok']);
      const personIds = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
      expect(personIds[1]).toBe(personIds[0]);
      const enrolled = (await repository.listByPrefix(sourceName)).map((row) => row.personId);
      expect(enrolled).toEqual([personIds[0]]);
    }
  });
});
