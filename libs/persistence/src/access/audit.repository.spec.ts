import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH } from '@visage/domain';
import { openTestDatabase, MigratedTestDatabase, Rows, TEST_DRIVERS } from '../../test/test-databases';
import { ApiKeyEntity } from './api-key.entity';
import { FaceClusterEntity } from '../review/face-cluster.entity';
import { FaceEntity } from '../images/face.entity';
import { ImageEntity } from '../images/image.entity';
import { PersonEntity } from '../people/person.entity';
import { PersonImageEntity } from '../people/person-image.entity';
import { ApiKeyRepository } from './api-key.repository';
import { auditCursorAfter, AuditEventView, AuditRecord, AuditRepository, auditStatement, decodeAuditCursor } from './audit.repository';
import { ClusteringRepository } from '../review/clustering.repository';
import { FaceClusterRepository } from '../review/face-cluster.repository';
import { FaceReviewRepository } from '../review/face-review.repository';
import { ImageRepository } from '../images/image.repository';
import { PersonImageRepository } from '../people/person-image.repository';
import { PersonRepository } from '../people/person.repository';
import type { Statement } from '../shared/transactions';

const ACTOR = 'key:7';

/** One audited change: the state it starts from, the change (given its audit record), and whether it is visible. */
interface AuditedChange {
  action: string;
  arrange(rows: Rows, dataSource: DataSource): Promise<number>;
  change(dataSource: DataSource, subject: number, audit: (target: string) => AuditRecord): Promise<unknown>;
  applied(dataSource: DataSource, subject: number): Promise<boolean>;
  /** The audit row's target and details once committed. */
  expected(dataSource: DataSource, subject: number): Promise<Pick<AuditEventView, 'target'> & { details?: Record<string, unknown> }>;
}

async function faceWithDescriptor(rows: Rows, dataSource: DataSource, person: PersonEntity | null): Promise<FaceEntity> {
  const image = await rows.image(`audit-${Math.random()}.jpg`, { status: 'processed' });
  const face = await rows.face(image.id, person);
  await dataSource.getRepository(FaceEntity).update({ id: face.id }, { descriptor: Buffer.alloc(DESCRIPTOR_LENGTH * 4, 1) });
  return face;
}

const personNamed = (dataSource: DataSource, name: string) => dataSource.getRepository(PersonEntity).findOneBy({ name });

/** A group of two unknown faces as the clustering job writes it; its id is its first face's. */
async function groupOfTwo(rows: Rows, dataSource: DataSource): Promise<number> {
  const faces = [(await faceWithDescriptor(rows, dataSource, null)).id, (await faceWithDescriptor(rows, dataSource, null)).id];
  await new ClusteringRepository(dataSource).write({
    clusters: [{ id: faces[0], size: 2, centroid: new Float32Array(DESCRIPTOR_LENGTH), ignored: false, cohesion: 0.4 }],
    members: faces.map((faceId) => ({ faceId, clusterId: faces[0] })),
    merged: new Map(),
    outliers: { marked: [], cleared: [] },
  });
  return faces[0];
}

const clusterRow = (dataSource: DataSource, id: number) => dataSource.getRepository(FaceClusterEntity).findOneByOrFail({ id });

const CHANGES: AuditedChange[] = [
  {
    action: 'key.created',
    arrange: async () => 0,
    change: (dataSource, _subject, audit) =>
      new ApiKeyRepository(dataSource).create('ci', 'submit', 'f'.repeat(64), (keyId) => audit(`key:${keyId}`)),
    applied: async (dataSource) => (await dataSource.getRepository(ApiKeyEntity).countBy({ name: 'ci' })) === 1,
    expected: async (dataSource) => ({ target: `key:${(await dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ name: 'ci' })).id}` }),
  },
  {
    action: 'key.revoked',
    arrange: async (_rows, dataSource) => (await new ApiKeyRepository(dataSource).create('old', 'read', 'e'.repeat(64)))!.id,
    change: (dataSource, keyId, audit) => new ApiKeyRepository(dataSource).revoke(keyId, audit(`key:${keyId}`)),
    applied: async (dataSource, keyId) => (await dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ id: keyId })).revokedAt !== null,
    expected: async (_dataSource, keyId) => ({ target: `key:${keyId}` }),
  },
  {
    action: 'person.created',
    arrange: async () => 0,
    change: (dataSource, _subject, audit) => new PersonRepository(dataSource).create('Ada', (personId) => audit(`person:${personId}`)),
    applied: async (dataSource) => (await personNamed(dataSource, 'Ada')) !== null,
    expected: async (dataSource) => ({ target: `person:${(await personNamed(dataSource, 'Ada'))!.id}` }),
  },
  {
    action: 'person.deleted',
    arrange: async (rows) => (await rows.person('Grace')).id,
    change: (dataSource, personId, audit) => new PersonRepository(dataSource).delete(personId, audit(`person:${personId}`)),
    applied: async (dataSource, personId) => (await dataSource.getRepository(PersonEntity).countBy({ id: personId })) === 0,
    expected: async (_dataSource, personId) => ({ target: `person:${personId}` }),
  },
  {
    action: 'person.enrolled',
    arrange: async (rows) => (await rows.person('Alan')).id,
    change: (dataSource, personId, audit) =>
      new PersonImageRepository(dataSource).replaceEnrolment(
        {
          personId,
          sourceName: 'path:alan.jpg',
          contentHash: 'a'.repeat(64),
          descriptor: new Float32Array(DESCRIPTOR_LENGTH),
          recipe: DEFAULT_DESCRIPTOR_RECIPE,
        },
        (enrolment) => ({ ...audit(`person:${personId}`), details: { enrolment } }),
      ),
    applied: async (dataSource, personId) => (await dataSource.getRepository(PersonImageEntity).countBy({ personId })) === 1,
    expected: async (dataSource, personId) => ({
      target: `person:${personId}`,
      details: { enrolment: (await dataSource.getRepository(PersonImageEntity).findOneByOrFail({ personId })).id },
    }),
  },
  {
    // By name: the person is created in the transaction, and the audit row finds its id there.
    action: 'face.assigned',
    arrange: async (rows, dataSource) => (await faceWithDescriptor(rows, dataSource, null)).id,
    change: (dataSource, faceId, audit) => new FaceReviewRepository(dataSource).assign(faceId, { name: 'Carol' }, audit(`face:${faceId}`)),
    applied: async (dataSource, faceId) => (await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faceId })).personId !== null,
    expected: async (dataSource, faceId) => ({ target: `face:${faceId}`, details: { personId: (await personNamed(dataSource, 'Carol'))!.id } }),
  },
  {
    action: 'face.rejected',
    arrange: async (rows, dataSource) => (await faceWithDescriptor(rows, dataSource, await rows.person('Dan'))).id,
    change: async (dataSource, faceId, audit) => {
      const face = await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faceId });
      return new FaceReviewRepository(dataSource).reject(faceId, face.personId!, audit(`face:${faceId}`));
    },
    applied: async (dataSource, faceId) => (await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faceId })).personId === null,
    expected: async (_dataSource, faceId) => ({ target: `face:${faceId}` }),
  },
  {
    action: 'cluster.ignored',
    arrange: groupOfTwo,
    change: (dataSource, clusterId, audit) => new FaceClusterRepository(dataSource).ignore(clusterId, audit(`cluster:${clusterId}`)),
    applied: async (dataSource, clusterId) => (await clusterRow(dataSource, clusterId)).ignored,
    expected: async (_dataSource, clusterId) => ({ target: `cluster:${clusterId}` }),
  },
  {
    action: 'cluster.face_removed',
    arrange: groupOfTwo,
    change: async (dataSource, clusterId, audit) => {
      const clusters = new FaceClusterRepository(dataSource);
      const [, second] = await clusters.memberFaceIds(clusterId);
      return clusters.removeFace(clusterId, second, audit(`cluster:${clusterId}`));
    },
    applied: async (dataSource, clusterId) => (await clusterRow(dataSource, clusterId)).size === 1,
    expected: async (_dataSource, clusterId) => ({ target: `cluster:${clusterId}` }),
  },
  {
    action: 'image.deleted',
    arrange: async (rows, dataSource) => (await faceWithDescriptor(rows, dataSource, null)).imageId,
    change: (dataSource, imageId, audit) => new ImageRepository(dataSource).delete(imageId, audit(`image:${imageId}`)),
    applied: async (dataSource, imageId) => (await dataSource.getRepository(ImageEntity).countBy({ id: imageId })) === 0,
    expected: async (_dataSource, imageId) => ({ target: `image:${imageId}`, details: { faces: 1, enrolments: 0 } }),
  },
];

describe.each(TEST_DRIVERS)('audit rows in the transaction of their change, on $name', (driver) => {
  let database: MigratedTestDatabase;
  let dataSource: DataSource;
  let rows: Rows;
  let audit: AuditRepository;

  beforeAll(async () => {
    database = await openTestDatabase(driver, 'visage_audit');
    dataSource = database.dataSource;
    rows = new Rows(dataSource);
    audit = new AuditRepository(dataSource);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    for (const table of [
      'audit_events',
      'api_keys',
      'cluster_exclusions',
      'cluster_members',
      'face_clusters',
      'person_images',
      'faces',
      'images',
      'persons',
    ]) {
      await dataSource.query(`DELETE FROM ${table}`);
    }
  });

  const record =
    (action: string) =>
    (target: string): AuditRecord => ({ actor: ACTOR, action, target });

  it.each(CHANGES.map((change) => [change.action, change] as const))('%s: the change and its audit row commit together', async (action, change) => {
    const subject = await change.arrange(rows, dataSource);
    await change.change(dataSource, subject, record(action));
    expect(await change.applied(dataSource, subject)).toBe(true);
    const expected = await change.expected(dataSource, subject);
    expect(await audit.list(10)).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(Date),
        actor: ACTOR,
        action,
        target: expected.target,
        details: expected.details ? expect.objectContaining(expected.details) : null,
      },
    ]);
  });

  it.each(CHANGES.map((change) => [change.action, change] as const))(
    '%s: rolled back when its audit row cannot be written',
    async (action, change) => {
      const subject = await change.arrange(rows, dataSource);
      // The audit table out of reach: the audit INSERT fails inside the change's transaction.
      await dataSource.query('ALTER TABLE audit_events RENAME TO audit_events_away');
      try {
        await expect(change.change(dataSource, subject, record(action))).rejects.toThrow(/audit_events/);
      } finally {
        await dataSource.query('ALTER TABLE audit_events_away RENAME TO audit_events');
      }
      expect(await change.applied(dataSource, subject)).toBe(false);
      expect(await audit.list(10)).toEqual([]);
    },
  );

  it('pages newest first with its keyset cursor, every row once', async () => {
    for (const target of ['person:1', 'person:2', 'person:3'])
      await dataSource.query(...auditStatement({ actor: ACTOR, action: 'person.created', target }));
    const first = await audit.list(2);
    expect(first.map((event) => event.target)).toEqual(['person:3', 'person:2']);
    const cursor = decodeAuditCursor(auditCursorAfter(first[1]));
    expect((await audit.list(2, cursor)).map((event) => event.target)).toEqual(['person:1']);
  });

  it('names the person of a face assigned to someone who exists, and a group named at once', async () => {
    const grace = await rows.person('Grace');
    const face = await faceWithDescriptor(rows, dataSource, null);
    const reviews = new FaceReviewRepository(dataSource);
    await reviews.assign(face.id, { personId: grace.id }, record('face.assigned')(`face:${face.id}`));
    const group = [await faceWithDescriptor(rows, dataSource, null), await faceWithDescriptor(rows, dataSource, null)];
    const guard: Statement = ['UPDATE persons SET name = ? WHERE id = ?', ['Grace H', grace.id]]; // changes one row: the group goes ahead
    await reviews.assignFaces(
      group.map((member) => member.id),
      { name: 'Hedy' },
      guard,
      { ...record('face.assigned')('cluster:9'), details: { faces: 2 } },
    );
    const hedy = await personNamed(dataSource, 'Hedy');
    expect((await audit.list(10)).map(({ target, details }) => ({ target, details }))).toEqual([
      { target: 'cluster:9', details: { faces: 2, personId: hedy!.id } },
      { target: `face:${face.id}`, details: { personId: grace.id } },
    ]);
  });

  it('a face or a group named after a new name writes person.created with the id; an existing name writes none', async () => {
    const reviews = new FaceReviewRepository(dataSource);
    const created = (personId: number): AuditRecord => ({
      actor: ACTOR,
      action: 'person.created',
      target: `person:${personId}`,
      details: { name: 'Ida' },
    });
    const first = await faceWithDescriptor(rows, dataSource, null);
    await reviews.assign(first.id, { name: 'Ida' }, record('face.assigned')(`face:${first.id}`), { personCreated: created });
    const second = await faceWithDescriptor(rows, dataSource, null);
    await reviews.assign(second.id, { name: 'Ida' }, record('face.assigned')(`face:${second.id}`), { personCreated: created });
    const ida = (await personNamed(dataSource, 'Ida'))!;
    expect((await audit.list(10)).reverse().map(({ action, target, details }) => ({ action, target, details }))).toEqual([
      { action: 'person.created', target: `person:${ida.id}`, details: { name: 'Ida' } },
      { action: 'face.assigned', target: `face:${first.id}`, details: { personId: ida.id } },
      { action: 'face.assigned', target: `face:${second.id}`, details: { personId: ida.id } },
    ]);
  });

  it('writes no audit row for a change that did not happen (a person already gone, a key already revoked)', async () => {
    const personId = (await rows.person('Eve')).id;
    const persons = new PersonRepository(dataSource);
    expect(await persons.delete(personId, record('person.deleted')(`person:${personId}`))).toBe(true);
    expect(await persons.delete(personId, record('person.deleted')(`person:${personId}`))).toBe(false);
    const keys = new ApiKeyRepository(dataSource);
    const keyId = (await keys.create('once', 'read', 'd'.repeat(64)))!.id;
    expect(await keys.revoke(keyId, record('key.revoked')(`key:${keyId}`))).toBe(true);
    expect(await keys.revoke(keyId, record('key.revoked')(`key:${keyId}`))).toBe(false);
    expect((await audit.list(10)).map((event) => event.action).sort()).toEqual(['key.revoked', 'person.deleted']);
  });
});
