import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../test/test-databases';
import { DashboardPersonRepository } from './dashboard-person.repository';

describe.each(TEST_DRIVERS)('DashboardPersonRepository on $name', (driver) => {
  let db: MigratedTestDatabase;
  let repository: DashboardPersonRepository;
  const imageIds: number[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(driver, 'visage_dashboard_persons');
    repository = new DashboardPersonRepository(db.dataSource);
    const rows = new Rows(db.dataSource);
    const alice = await rows.person('Alice Liddell');
    const bob = await rows.person('Bob');
    await rows.person('amy');
    const withAlice = await rows.image('batch/alice.jpg', { status: 'processed' });
    const withBob = await rows.image('batch/bob.jpg', { status: 'processed' });
    imageIds.push(withAlice.id, withBob.id);
    await rows.face(withAlice.id, alice);
    await rows.face(withAlice.id, null);
    await rows.face(withAlice.id, alice);
    await rows.face(withBob.id, bob);
    await rows.enrolled(alice.id, 'known/alice.jpg');
  });
  afterAll(() => db?.close());

  it('lists persons by name whatever the case, with enrolled faces and the images they were recognised in', async () => {
    const persons = await repository.listPersons();
    expect(persons.map((person) => person.name)).toEqual(['Alice Liddell', 'amy', 'Bob']);
    expect(persons[0]).toMatchObject({
      recognisedCount: 1,
      enrolled: [{ sourceName: 'known/alice.jpg' }],
      recentImages: [{ id: imageIds[0], status: 'processed' }],
    });
    expect(persons[1]).toMatchObject({ recognisedCount: 0, enrolled: [], recentImages: [] });
    expect(persons[2]).toMatchObject({ recognisedCount: 1, enrolled: [], recentImages: [{ id: imageIds[1] }] });
    expect(await repository.findEnrolledFace(persons[0].enrolled[0].id)).toMatchObject({ sourceName: 'known/alice.jpg' });
    expect(await repository.findEnrolledFace(999_999)).toBeUndefined();
  });
});
