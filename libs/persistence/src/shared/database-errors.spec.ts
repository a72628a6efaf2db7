import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { MARIADB_DRIVER, MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../test/test-databases';
import { FaceEntity } from '../images/face.entity';
import { PersonEntity } from '../people/person.entity';
import { PersistenceError } from './database-errors';
import { runInTransaction } from './transactions';
import { FaceIdentityRepository } from '../review/face-identity.repository';
import { FaceReviewRepository } from '../review/face-review.repository';

const descriptor = Buffer.from(Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => Math.fround(Math.cos(index) * 0.2)).buffer);

/** A change naming a person deleted meanwhile reports `person_deleted`, never the driver's foreign-key error. */
describe.each(TEST_DRIVERS)('persistence errors on $name', (driver) => {
  let database: MigratedTestDatabase;
  let dataSource: DataSource;
  let rows: Rows;
  let paths = 0;

  beforeAll(async () => {
    database = await openTestDatabase(driver, 'visage_db_errors');
    dataSource = database.dataSource;
    rows = new Rows(dataSource);
  });
  afterAll(() => database?.close());

  async function unknownFace(): Promise<FaceEntity> {
    const image = await rows.image(`errors/${++paths}.jpg`, { status: 'unrecognized' });
    const face = await rows.face(image.id, null);
    await dataSource.getRepository(FaceEntity).update({ id: face.id }, { descriptor, galleryVersion: 0 });
    return face;
  }

  async function deletedPerson(): Promise<number> {
    const person = await rows.person(`Gone ${paths}`);
    await dataSource.getRepository(PersonEntity).delete({ id: person.id });
    return person.id;
  }

  it('"This is …" for a deleted person: PersistenceError person_deleted, nothing changed', async () => {
    const face = await unknownFace();
    const personId = await deletedPerson();
    const failure = await new FaceReviewRepository(dataSource).assign(face.id, { personId }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PersistenceError);
    expect(failure).toMatchObject({ code: 'person_deleted', message: 'the person was deleted meanwhile' });
    expect(await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: face.id })).toMatchObject({ personId: null, distance: null });
  });

  it('a re-match naming a deleted person: PersistenceError person_deleted', async () => {
    const face = await unknownFace();
    const personId = await deletedPerson();
    const rematch = { faceId: face.id, imageId: face.imageId, previousPersonId: null, personId, distance: 0.2 };
    await expect(new FaceIdentityRepository(dataSource).applyRematch(5, [rematch])).rejects.toMatchObject({
      name: 'PersistenceError',
      code: 'person_deleted',
    });
  });
});

/** A MySQL transaction that is a deadlock victim on every replay reports `database_busy`, never the driver's error. */
describe('a transaction deadlocked on every try (MariaDB)', () => {
  let database: MigratedTestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(MARIADB_DRIVER, 'visage_db_busy');
  });
  afterAll(() => database?.close());

  const STATEMENT = 'UPDATE gallery_state SET version = version WHERE id = 1';

  /** The transaction's statement fails with `driverError` on every runner, as mysql2's error reaches TypeORM's runner. */
  function failTheStatement(driverError: { code: string; errno: number }): { tries: () => number; restore: () => void } {
    const dataSource = database.dataSource;
    const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
    let tries = 0;
    const spy = vi.spyOn(dataSource, 'createQueryRunner').mockImplementation((mode) => {
      const runner = createQueryRunner(mode);
      const query = runner.query.bind(runner);
      runner.query = (async (sql: string, ...rest: unknown[]) => {
        if (sql !== STATEMENT) return query(sql, ...(rest as []));
        tries += 1;
        throw Object.assign(new Error(driverError.code), { driverError });
      }) as typeof runner.query;
      return runner;
    });
    return { tries: () => tries, restore: () => spy.mockRestore() };
  }

  it('replays it 3 times, then throws PersistenceError database_busy', async () => {
    const failing = failTheStatement({ code: 'ER_LOCK_DEADLOCK', errno: 1213 });
    try {
      const outcome = await runInTransaction(database.dataSource, [[STATEMENT, []]]).catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(PersistenceError);
      expect((outcome as PersistenceError).code).toBe('database_busy');
      expect(failing.tries()).toBe(3);
    } finally {
      failing.restore();
    }
  });

  it('passes any other failure through at once, unreplayed', async () => {
    const failing = failTheStatement({ code: 'ER_NO_SUCH_TABLE', errno: 1146 });
    try {
      const outcome = await runInTransaction(database.dataSource, [[STATEMENT, []]]).catch((error: unknown) => error);
      expect(outcome).not.toBeInstanceOf(PersistenceError);
      expect(failing.tries()).toBe(1);
    } finally {
      failing.restore();
    }
  });
});
