import { DataSource, In } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, ImageOutcomeEvent, VisageEvent } from '@visage/domain';
import { openMigrated, Rows, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { FaceEntity } from '../images/face.entity';
import { ImageEntity } from '../images/image.entity';
import { OutcomeEventEntity } from './outcome-event.entity';
import { PersonEntity } from '../people/person.entity';
import { FaceIdentityRepository } from '../review/face-identity.repository';
import { FaceReviewRepository } from '../review/face-review.repository';
import { ImageProcessingRepository } from '../images/image-processing.repository';
import { ImageRetryRepository } from '../images/image-retry.repository';
import { ImageRepository } from '../images/image.repository';
import { OutcomeEventRepository } from './outcome-event.repository';
import { PersonRepository } from '../people/person.repository';

const LEASE = { claimTimeoutMs: 60_000 };
const descriptor = Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => Math.fround(Math.sin(index) * 0.2));

describe.each(TEST_DRIVERS)('outcome events (outbox) on $name', (driver) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let rows: Rows;
  let processing: ImageProcessingRepository;
  let outbox: OutcomeEventRepository;
  let ada: PersonEntity;
  let paths = 0;

  beforeAll(async () => {
    database = await driver.create('visage_outcomes');
    dataSource = await openMigrated(database.config);
    rows = new Rows(dataSource);
    processing = new ImageProcessingRepository(dataSource);
    outbox = new OutcomeEventRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    for (const table of ['webhook_deliveries', 'outcome_event_faces', 'outcome_events', 'faces', 'images', 'person_images', 'persons']) {
      await dataSource.query(`DELETE FROM ${table}`);
    }
    ada = await rows.person('Ada');
  });

  async function claimed(): Promise<number> {
    const image = await rows.image(`outcomes/${++paths}.jpg`);
    expect(await processing.claim(image.id, 'consumer-1', LEASE)).toBe('claimed');
    return image.id;
  }

  async function allEvents(): Promise<VisageEvent[]> {
    return (await outbox.unpublished(100)).map((stored) => stored.event);
  }

  /** The outcome events; an erasure event where none is expected fails the test. */
  async function events(): Promise<ImageOutcomeEvent[]> {
    return (await allEvents()).map((event) => {
      if (event.type !== 'image.outcome') throw new Error(`unexpected ${event.type} event`);
      return event;
    });
  }

  async function faceOf(imageId: number): Promise<FaceEntity> {
    return dataSource.getRepository(FaceEntity).findOneByOrFail({ imageId });
  }

  it('complete writes one event with the stored faces, their persons and the gallery version; a lost claim writes none', async () => {
    const imageId = await claimed();
    const box = { x: 1, y: 2, width: 30, height: 40 };
    await processing.complete(imageId, 'consumer-1', {
      width: 100,
      height: 80,
      galleryVersion: 7,
      faces: [{ box, score: 0.9, personId: ada.id, distance: 0.25, descriptor, recipe: DEFAULT_DESCRIPTOR_RECIPE }],
    });
    expect(await processing.complete(imageId, 'consumer-1', { width: 1, height: 1, galleryVersion: 7, faces: [] })).toEqual({
      outcome: 'claim_lost',
    });

    const image = await dataSource.getRepository(ImageEntity).findOneByOrFail({ id: imageId });
    const face = await faceOf(imageId);
    const [event, ...others] = await events();
    expect(others).toEqual([]);
    expect(event).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      type: 'image.outcome',
      imageId,
      path: image.path,
      status: 'processed',
      faces: [{ faceId: face.id, personId: ada.id, personName: 'Ada', distance: expect.closeTo(0.25, 5), box }],
      galleryVersion: 7,
      at: expect.any(String),
    });
    expect(Math.abs(Date.parse(event.at) - image.updatedAt.getTime())).toBeLessThan(1_000);
  });

  it('a failed attempt with attempts left writes no event; the failure for good writes one', async () => {
    const imageId = await claimed();
    await processing.fail(imageId, 'consumer-1', 'recognizer down', { permanent: false, maxAttempts: 2, retryInMs: 0 });
    expect(await events()).toEqual([]);
    expect(await processing.claim(imageId, 'consumer-2', LEASE)).toBe('claimed');
    await processing.fail(imageId, 'consumer-2', 'recognizer down', { permanent: false, maxAttempts: 2, retryInMs: 0 });
    expect((await events()).map((event) => [event.imageId, event.status, event.faces])).toEqual([[imageId, 'failed', []]]);
  });

  it('a dead letter writes the failed event once; dead-lettering a failed image again writes none', async () => {
    const image = await rows.image(`outcomes/${++paths}.jpg`);
    expect(await processing.markDeadLettered(image.id, 'poison', { maxAttempts: 3 })).toBe('marked');
    expect(await processing.markDeadLettered(image.id, 'poison again', { maxAttempts: 3 })).toBe('marked');
    expect((await events()).map((event) => [event.imageId, event.status])).toEqual([[image.id, 'failed']]);
  });

  it('an expired claim on its last attempt fails for good with an event; with attempts left, none', async () => {
    const last = await rows.image(`outcomes/${++paths}.jpg`, { status: 'processing', attempts: 2, leaseExpiresAt: new Date(Date.now() - 1_000) });
    const early = await rows.image(`outcomes/${++paths}.jpg`, { status: 'processing', attempts: 0, leaseExpiresAt: new Date(Date.now() - 1_000) });
    expect(await new ImageRetryRepository(dataSource).resetExpiredClaims({ maxAttempts: 3 })).toEqual([early.id]);
    expect((await events()).map((event) => [event.imageId, event.status])).toEqual([[last.id, 'failed']]);
  });

  it('a re-match writes an event for each image whose identity changed, with the new person, in the batch transaction', async () => {
    const changed = await rows.image(`outcomes/${++paths}.jpg`, { status: 'unrecognized' });
    const unchanged = await rows.image(`outcomes/${++paths}.jpg`, { status: 'unrecognized' });
    const faces = [await rows.face(changed.id, null), await rows.face(unchanged.id, null)];
    await dataSource
      .getRepository(FaceEntity)
      .update({ id: In(faces.map((face) => face.id)) }, { galleryVersion: 1, descriptor: Buffer.alloc(DESCRIPTOR_LENGTH * 4) });
    await new FaceIdentityRepository(dataSource).applyRematch(2, [
      { faceId: faces[0].id, imageId: changed.id, previousPersonId: null, personId: ada.id, distance: 0.3 },
      { faceId: faces[1].id, imageId: unchanged.id, previousPersonId: null, personId: null, distance: 0.9 },
    ]);
    const written = await events();
    expect(written.map((event) => [event.imageId, event.status, event.galleryVersion, event.faces.map((face) => face.personName)])).toEqual([
      [changed.id, 'processed', 2, ['Ada']],
    ]);
  });

  it('face review: "This is …" and "Not <name>" each write the image\'s new identity', async () => {
    const image = await rows.image(`outcomes/${++paths}.jpg`, { status: 'unrecognized' });
    const face = await rows.face(image.id, null);
    await dataSource.getRepository(FaceEntity).update({ id: face.id }, { descriptor: Buffer.from(descriptor.buffer), galleryVersion: 0 });
    const review = new FaceReviewRepository(dataSource);
    const assigned = await review.assign(face.id, { name: 'Grace' });
    expect(await review.reject(face.id, assigned!.personId)).toBe(true);
    const written = await events();
    expect(written.map((event) => [event.status, event.faces.map((item) => [item.faceId, item.personName])])).toEqual([
      ['processed', [[face.id, 'Grace']]],
      ['unrecognized', [[face.id, null]]],
    ]);
    expect(written[0].galleryVersion).toBe(assigned!.galleryVersion);
  });

  it('deleting a person writes an event for each of their images, with the faces unnamed, then person.deleted with the id only', async () => {
    const image = await rows.image(`outcomes/${++paths}.jpg`, { status: 'processed' });
    const face = await rows.face(image.id, ada);
    await rows.image(`outcomes/${++paths}.jpg`, { status: 'unrecognized' });
    const persons = new PersonRepository(dataSource);
    const before = Date.now();
    expect(await persons.delete(ada.id)).toBe(true);
    const [outcome, erasure, ...others] = await allEvents();
    expect(others).toEqual([]);
    expect(
      outcome.type === 'image.outcome' && [
        outcome.imageId,
        outcome.status,
        outcome.faces.map((item) => [item.faceId, item.personId, item.personName]),
      ],
    ).toEqual([image.id, 'unrecognized', [[face.id, null, null]]]);
    expect(erasure).toEqual({ eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'person.deleted', personId: ada.id, at: expect.any(String) });
    expect(Object.keys(erasure)).toEqual(['eventId', 'type', 'personId', 'at']);
    expect(Date.parse(erasure.at)).toBeGreaterThanOrEqual(before - 1_000);
    expect(JSON.stringify(await allEvents())).not.toContain('Ada');
    // Nobody left to delete: no second event.
    expect(await persons.delete(ada.id)).toBe(false);
    expect(await allEvents()).toHaveLength(2);
  });

  it('deleting an image removes its outcome events and writes image.deleted with the id only, never the path or the boxes', async () => {
    const imageId = await claimed();
    await processing.complete(imageId, 'consumer-1', {
      width: 1,
      height: 1,
      galleryVersion: 1,
      faces: [
        { box: { x: 17, y: 23, width: 31, height: 37 }, score: 1, personId: ada.id, distance: 0.2, descriptor, recipe: DEFAULT_DESCRIPTOR_RECIPE },
      ],
    });
    const other = await claimed();
    await processing.complete(other, 'consumer-1', { width: 1, height: 1, galleryVersion: 1, faces: [] });
    const { path } = await dataSource.getRepository(ImageEntity).findOneByOrFail({ id: imageId });
    const images = new ImageRepository(dataSource);
    expect(await images.delete(imageId)).toEqual({ faces: 1, enrolments: 0 });
    const written = await allEvents();
    expect(written.map((event) => [event.type, 'imageId' in event ? event.imageId : null])).toEqual([
      ['image.outcome', other],
      ['image.deleted', imageId],
    ]);
    expect(written[1]).toEqual({ eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'image.deleted', imageId, at: expect.any(String) });
    expect(Object.keys(written[1])).toEqual(['eventId', 'type', 'imageId', 'at']);
    expect(JSON.stringify(written)).not.toContain(path);
    expect(Number((await dataSource.query('SELECT COUNT(*) AS n FROM outcome_event_faces WHERE box_x = 17'))[0].n)).toBe(0);
    // The erasure is relayed like an outcome: published, delivered, pruned.
    await outbox.markPublished(
      (await outbox.unpublished(10)).map((stored) => stored.rowId),
      ['http://a.test/hook'],
    );
    expect((await outbox.dueDeliveries('http://a.test/hook', 10)).map((due) => due.event)).toEqual(written);
    expect(await images.delete(imageId)).toBeUndefined();
    expect(await dataSource.getRepository(OutcomeEventEntity).countBy({ eventType: 'image.deleted' })).toBe(1);
  });

  it('an event is a snapshot: later changes do not alter it, and reading it again gives the same bytes', async () => {
    const imageId = await claimed();
    await processing.complete(imageId, 'consumer-1', {
      width: 1,
      height: 1,
      galleryVersion: 3,
      faces: [{ box: { x: 0, y: 0, width: 5, height: 5 }, score: 1, personId: ada.id, distance: 0.1, descriptor, recipe: DEFAULT_DESCRIPTOR_RECIPE }],
    });
    const before = JSON.stringify(await events());
    await dataSource.getRepository(FaceEntity).update({ imageId }, { personId: null });
    await dataSource.getRepository(ImageEntity).update({ id: imageId }, { status: 'unrecognized' });
    expect(JSON.stringify(await events())).toBe(before);
  });

  it('publishing stamps the events and queues one webhook delivery per endpoint; deliveries are postponed, finished, and events pruned', async () => {
    const first = await claimed();
    await processing.complete(first, 'consumer-1', { width: 1, height: 1, galleryVersion: 1, faces: [] });
    const second = await claimed();
    await processing.complete(second, 'consumer-1', { width: 1, height: 1, galleryVersion: 1, faces: [] });
    const stored = await outbox.unpublished(1);
    expect(stored.map((item) => item.event)).toEqual([expect.objectContaining({ imageId: first })]);
    expect(await outbox.countUnpublished()).toBe(2);

    await outbox.markPublished([stored[0].rowId], ['http://a.test/hook', 'http://b.test/hook']);
    expect((await outbox.unpublished(10)).map((item) => item.event)).toEqual([expect.objectContaining({ imageId: second })]);
    expect(await outbox.pendingDeliveries()).toEqual(
      new Map([
        ['http://a.test/hook', 1],
        ['http://b.test/hook', 1],
      ]),
    );

    const [due] = await outbox.dueDeliveries('http://a.test/hook', 10);
    expect(due).toMatchObject({ endpoint: 'http://a.test/hook', attempts: 0, event: stored[0].event });
    await outbox.postponeDelivery(due.id, new Date(Date.now() + 60_000), 'connection refused');
    expect(await outbox.dueDeliveries('http://a.test/hook', 10)).toEqual([]);
    expect(await outbox.dueDeliveries('http://a.test/hook', 10, new Date(Date.now() + 61_000))).toMatchObject([{ id: due.id, attempts: 1 }]);

    expect(await outbox.prunePublished(new Date(Date.now() + 1_000))).toBe(0); // deliveries still pending
    await outbox.finishDelivery(due.id);
    expect(await outbox.dropDeliveriesExcept(['http://a.test/hook'])).toBe(1);
    expect(await outbox.prunePublished(new Date(Date.now() + 1_000))).toBe(1);
    expect(await dataSource.getRepository(OutcomeEventEntity).count()).toBe(1);
  });
});
