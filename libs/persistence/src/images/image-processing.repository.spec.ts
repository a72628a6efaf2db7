import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH } from '@visage/domain';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { PersonEntity } from '../people/person.entity';
import { ImageProcessingRepository } from './image-processing.repository';
import { ImageRetryRepository } from './image-retry.repository';
import { ProcessingLimits } from './processing-limits';
import { decodeDescriptor } from '../shared/descriptor-codec';

const POLICY: ProcessingLimits = { maxAttempts: 3, claimTimeoutMs: 60_000, pendingStaleMs: 120_000 };
const FAIL = { maxAttempts: POLICY.maxAttempts, retryInMs: 4_000 };
const SECOND = 1_000;

/** A distinct full-length descriptor per seed. */
function descriptorOf(seed: number): Float32Array {
  return Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => Math.fround(Math.sin(seed * 131 + index) * 0.2));
}

describe.each(TEST_DRIVERS)('ImageProcessingRepository and ImageRetryRepository on $name', (driver) => {
  let database: TestDatabase;
  /** Two data sources = two independent connections, like two processor replicas. */
  let first: DataSource;
  let second: DataSource;
  let replicaA: ImageProcessingRepository;
  let replicaB: ImageProcessingRepository;
  /** The retry paths, on the first connection. */
  let retry: ImageRetryRepository;
  let personId: number;

  beforeAll(async () => {
    database = await driver.create('visage_processing');
    first = await openMigrated(database.config);
    second = await openMigrated(database.config);
    replicaA = new ImageProcessingRepository(first);
    replicaB = new ImageProcessingRepository(second);
    retry = new ImageRetryRepository(first);
    personId = (await first.getRepository(PersonEntity).save({ name: 'Ada' })).id;
  });

  afterAll(async () => {
    await first?.destroy();
    await second?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    await first.createQueryBuilder().delete().from(FaceEntity).execute();
    await first.createQueryBuilder().delete().from(ImageEntity).execute();
  });

  let pathCounter = 0;
  async function insertImage(fields: Partial<ImageEntity> & { ageMs?: number } = {}): Promise<number> {
    const { ageMs, ...rest } = fields;
    const image = await first.getRepository(ImageEntity).save({ path: `img/${++pathCounter}.jpg`, status: 'pending', ...rest });
    if (ageMs !== undefined) await age(image.id, ageMs);
    return image.id;
  }

  /** Moves updated_at (and an existing claim, its lease, a next attempt) into the past, as if time had passed. */
  async function age(imageId: number, ms: number, fields: Partial<ImageEntity> = {}): Promise<void> {
    const past = new Date(Date.now() - ms);
    const earlier = (date: Date | null) => (date ? new Date(date.getTime() - ms) : null);
    const current = await first.getRepository(ImageEntity).findOneByOrFail({ id: imageId });
    await first
      .createQueryBuilder()
      .update(ImageEntity)
      .set({
        ...fields,
        updatedAt: past,
        claimedAt: current.claimedAt ? past : null,
        leaseExpiresAt: earlier(current.leaseExpiresAt),
        nextAttemptAt: earlier(current.nextAttemptAt),
      })
      .where('id = :imageId', { imageId })
      .execute();
  }

  async function statusOf(imageId: number): Promise<ImageEntity> {
    return first.getRepository(ImageEntity).findOneByOrFail({ id: imageId });
  }

  describe('claim', () => {
    it('lets exactly one of two concurrent consumers win each image', async () => {
      const ids = await Promise.all(Array.from({ length: 20 }, () => insertImage()));
      const results = await Promise.all(ids.flatMap((id) => [replicaA.claim(id, `a-${id}`, POLICY), replicaB.claim(id, `b-${id}`, POLICY)]));
      for (let index = 0; index < ids.length; index++) {
        const pair = [results[index * 2], results[index * 2 + 1]].sort();
        expect(pair).toEqual(['busy', 'claimed']);
      }
      const rows = await first.getRepository(ImageEntity).findBy({ status: 'processing' });
      expect(rows).toHaveLength(ids.length);
    });

    it('classifies what it cannot claim', async () => {
      expect(await replicaA.claim(999_999, 'a', POLICY)).toBe('not_found');
      const done = await insertImage({ status: 'processed' });
      expect(await replicaA.claim(done, 'a', POLICY)).toBe('already_done');
      const permanent = await insertImage({ status: 'failed', attempts: 1, permanentFailure: true });
      expect(await replicaA.claim(permanent, 'a', POLICY)).toBe('already_done');
      const exhausted = await insertImage({ status: 'failed', attempts: POLICY.maxAttempts });
      expect(await replicaA.claim(exhausted, 'a', POLICY)).toBe('already_done');
      // failed is final, whatever its attempts; an image waiting for another attempt is retrying.
      const failedEarly = await insertImage({ status: 'failed', attempts: 1 });
      expect(await replicaA.claim(failedEarly, 'a', POLICY)).toBe('already_done');
      const retrying = await insertImage({ status: 'retrying', attempts: POLICY.maxAttempts - 1, nextAttemptAt: new Date() });
      expect(await replicaA.claim(retrying, 'a', POLICY)).toBe('claimed');
      expect(await statusOf(retrying)).toMatchObject({ status: 'processing', claimedBy: 'a', nextAttemptAt: null });
    });

    it('a claim is a lease: renewed by its holder it stays live past its first expiry; unrenewed it expires', async () => {
      const id = await insertImage();
      const before = Date.now();
      expect(await replicaA.claim(id, 'holder', POLICY)).toBe('claimed');
      const leased = (await statusOf(id)).leaseExpiresAt!.getTime();
      expect(leased).toBeGreaterThanOrEqual(before + POLICY.claimTimeoutMs - SECOND);
      expect(leased).toBeLessThanOrEqual(Date.now() + POLICY.claimTimeoutMs + SECOND);

      await age(id, POLICY.claimTimeoutMs + SECOND); // the lease would have expired…
      expect(await replicaA.renewLease(id, 'holder', POLICY.claimTimeoutMs)).toBe(true); // …but the heartbeat renews it
      expect(await replicaB.claim(id, 'rescuer', POLICY)).toBe('busy');
      expect(await replicaB.renewLease(id, 'rescuer', POLICY.claimTimeoutMs)).toBe(false); // not its claim

      await age(id, POLICY.claimTimeoutMs + SECOND); // missed renewals: expired
      expect(await replicaB.claim(id, 'rescuer', POLICY)).toBe('claimed');
      expect(await replicaA.renewLease(id, 'holder', POLICY.claimTimeoutMs)).toBe(false); // the old holder learns it lost it
    });

    it('reclaims an expired claim, and the old holder can no longer write', async () => {
      const id = await insertImage();
      expect(await replicaA.claim(id, 'crashed', POLICY)).toBe('claimed');
      expect(await replicaB.claim(id, 'rescuer', POLICY)).toBe('busy');
      await age(id, POLICY.claimTimeoutMs + SECOND);
      expect(await replicaB.claim(id, 'rescuer', POLICY)).toBe('claimed');

      const late = await replicaA.complete(id, 'crashed', { width: 10, height: 10, faces: [], galleryVersion: 1 });
      expect(late).toEqual({ outcome: 'claim_lost' });
      expect(await replicaA.fail(id, 'crashed', 'boom', { permanent: false, ...FAIL })).toEqual({ outcome: 'claim_lost' });
      expect((await statusOf(id)).claimedBy).toBe('rescuer');
    });
  });

  describe('complete', () => {
    const box = { x: 1, y: 2, width: 30, height: 40 };

    it('stores every face and "processed" when one face matched, once even if delivered twice', async () => {
      const id = await insertImage({ status: 'retrying', attempts: 1, lastError: 'earlier', nextAttemptAt: new Date(), ageMs: 0 });
      await replicaA.claim(id, 'token', POLICY);
      const outcome = {
        width: 640,
        height: 480,
        faces: [
          { box, score: 0.98, personId, distance: 0.31, descriptor: descriptorOf(1), recipe: DEFAULT_DESCRIPTOR_RECIPE },
          { box: { ...box, x: 100 }, score: 0.91, personId: null, distance: 0.83, descriptor: descriptorOf(2), recipe: DEFAULT_DESCRIPTOR_RECIPE },
        ],
        galleryVersion: 7,
      };
      expect(await replicaA.complete(id, 'token', outcome)).toEqual({ outcome: 'completed', status: 'processed' });
      expect(await replicaA.complete(id, 'token', outcome)).toEqual({ outcome: 'claim_lost' });
      expect(await replicaB.claim(id, 'duplicate', POLICY)).toBe('already_done');

      const image = await statusOf(id);
      expect(image).toMatchObject({ status: 'processed', width: 640, height: 480, lastError: null, claimedBy: null });
      const faces = await first.getRepository(FaceEntity).find({ where: { imageId: id }, order: { box: { x: 'ASC' } } });
      expect(faces).toHaveLength(2);
      expect(faces[0]).toMatchObject({ personId, box: { x: 1, y: 2, width: 30, height: 40 } });
      expect(faces[0].distance).toBeCloseTo(0.31, 5);
      expect(faces[1]).toMatchObject({ personId: null, box: { x: 100 } });
      expect(faces[1].distance).toBeCloseTo(0.83, 5);
      // Each face keeps what re-matching needs: its descriptor (four bytes a float), the gallery version, when.
      expect(faces.map((face) => face.galleryVersion)).toEqual([7, 7]);
      expect(faces[1].descriptor?.length).toBe(DESCRIPTOR_LENGTH * 4);
      expect(Array.from(decodeDescriptor(faces[1].descriptor as Buffer))).toEqual(Array.from(descriptorOf(2)));
      expect(faces[0].matchedAt).toBeInstanceOf(Date);
    });

    it('stores nothing and says so when a matched person was deleted meanwhile', async () => {
      const id = await insertImage();
      await replicaA.claim(id, 'token', POLICY);
      const outcome = {
        width: 2,
        height: 2,
        faces: [{ box, score: 0.9, personId: 987_654, distance: 0.2, descriptor: descriptorOf(3), recipe: DEFAULT_DESCRIPTOR_RECIPE }],
        galleryVersion: 1,
      };
      expect(await replicaA.complete(id, 'token', outcome)).toEqual({ outcome: 'person_deleted' });
      expect(await statusOf(id)).toMatchObject({ status: 'processing', claimedBy: 'token' });
      expect(await first.getRepository(FaceEntity).countBy({ imageId: id })).toBe(0);
    });

    it('stores "unrecognized" for strangers only and for no face', async () => {
      const stranger = await insertImage();
      await replicaA.claim(stranger, 't1', POLICY);
      const result = await replicaA.complete(stranger, 't1', {
        width: 1,
        height: 1,
        faces: [{ box, score: 0.9, personId: null, distance: null, descriptor: descriptorOf(4), recipe: DEFAULT_DESCRIPTOR_RECIPE }],
        galleryVersion: 1,
      });
      expect(result).toEqual({ outcome: 'completed', status: 'unrecognized' });

      const empty = await insertImage();
      await replicaA.claim(empty, 't2', POLICY);
      expect(await replicaA.complete(empty, 't2', { width: 1, height: 1, faces: [], galleryVersion: 1 })).toEqual({
        outcome: 'completed',
        status: 'unrecognized',
      });
      expect(await first.getRepository(FaceEntity).countBy({ imageId: empty })).toBe(0);
    });

    it('two replicas racing on many images: each image gets one set of faces', async () => {
      const ids = await Promise.all(Array.from({ length: 30 }, () => insertImage()));
      const face = { box, score: 0.9, personId, distance: 0.2, descriptor: descriptorOf(5), recipe: DEFAULT_DESCRIPTOR_RECIPE };
      const work = (repository: ImageProcessingRepository, name: string) =>
        Promise.all(
          ids.map(async (id) => {
            const token = `${name}-${id}`;
            if ((await repository.claim(id, token, POLICY)) !== 'claimed') return 0;
            const result = await repository.complete(id, token, { width: 2, height: 2, faces: [face], galleryVersion: 1 });
            return result.outcome === 'completed' ? 1 : 0;
          }),
        );
      const [a, b] = await Promise.all([work(replicaA, 'a'), work(replicaB, 'b')]);
      const completed = [...a, ...b].reduce<number>((sum, value) => sum + value, 0);
      expect(completed).toBe(ids.length);
      expect(await first.getRepository(FaceEntity).count()).toBe(ids.length);
      expect(await first.getRepository(ImageEntity).countBy({ status: 'processed' })).toBe(ids.length);
    });
  });

  describe('fail, release and dead letters', () => {
    it('a transient failure with attempts left is retrying (next attempt stored); the last one, or a permanent one, is failed', async () => {
      const id = await insertImage();
      for (let attempt = 1; attempt <= POLICY.maxAttempts; attempt++) {
        expect(await replicaA.claim(id, `t${attempt}`, POLICY)).toBe('claimed');
        const before = Date.now();
        const result = await replicaA.fail(id, `t${attempt}`, `unavailable #${attempt}`, { permanent: false, ...FAIL });
        const retryable = attempt < POLICY.maxAttempts;
        expect(result).toMatchObject({ outcome: 'recorded', attempts: attempt, retryable });
        const row = await statusOf(id);
        expect(row).toMatchObject({ status: retryable ? 'retrying' : 'failed', attempts: attempt, claimedBy: null, leaseExpiresAt: null });
        if (retryable) {
          expect(row.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + FAIL.retryInMs - SECOND);
          expect(row.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now() + FAIL.retryInMs + SECOND);
        } else {
          expect(row.nextAttemptAt).toBeNull();
        }
      }
      expect(await replicaA.claim(id, 'again', POLICY)).toBe('already_done');
      expect(await statusOf(id)).toMatchObject({ status: 'failed', attempts: POLICY.maxAttempts, lastError: 'unavailable #3' });

      const corrupt = await insertImage();
      await replicaA.claim(corrupt, 'c', POLICY);
      expect(await replicaA.fail(corrupt, 'c', 'not an image', { permanent: true, ...FAIL })).toEqual({
        outcome: 'recorded',
        attempts: 1,
        retryable: false,
        nextAttemptAt: null,
      });
      expect(await statusOf(corrupt)).toMatchObject({ status: 'failed', permanentFailure: true });
      expect(await replicaA.claim(corrupt, 'c2', POLICY)).toBe('already_done');
    });

    it('release returns the image to pending without spending an attempt', async () => {
      const id = await insertImage({ status: 'retrying', attempts: 1 });
      await replicaA.claim(id, 'token', POLICY);
      expect(await replicaA.release(id, 'not-mine')).toBe(false);
      expect(await replicaA.release(id, 'token')).toBe(true);
      expect(await statusOf(id)).toMatchObject({ status: 'pending', attempts: 1, claimedBy: null, claimedAt: null, leaseExpiresAt: null });
    });

    it('a dead letter fails the image for good but never touches a finished image or a live claim', async () => {
      const pending = await insertImage();
      expect(await replicaA.markDeadLettered(pending, 'gave up after 5 deliveries', POLICY)).toBe('marked');
      expect(await statusOf(pending)).toMatchObject({ status: 'failed', attempts: POLICY.maxAttempts, lastError: 'gave up after 5 deliveries' });

      const retrying = await insertImage({ status: 'retrying', attempts: 1, nextAttemptAt: new Date() });
      expect(await replicaA.markDeadLettered(retrying, 'gave up', POLICY)).toBe('marked');
      expect(await statusOf(retrying)).toMatchObject({ status: 'failed', attempts: POLICY.maxAttempts, nextAttemptAt: null });

      const done = await insertImage({ status: 'unrecognized' });
      expect(await replicaA.markDeadLettered(done, 'x', POLICY)).toBe('already_done');
      const live = await insertImage();
      await replicaA.claim(live, 'worker', POLICY);
      expect(await replicaA.markDeadLettered(live, 'x', POLICY)).toBe('busy');
      expect(await replicaA.markDeadLettered(123_456_789, 'x', POLICY)).toBe('not_found');
    });

    it('a manual retry gives a failed image fresh attempts, even a permanent failure', async () => {
      const id = await insertImage({ status: 'failed', attempts: 3, permanentFailure: true });
      expect(await retry.requeueForRetry(id)).toBe('requeued');
      expect(await statusOf(id)).toMatchObject({ status: 'pending', attempts: 0, permanentFailure: false });
      const done = await insertImage({ status: 'processed' });
      expect(await retry.requeueForRetry(done)).toBe('not_failed');
      const pending = await insertImage();
      expect(await retry.requeueForRetry(pending)).toBe('not_failed');
      expect(await retry.requeueForRetry(987_654_321)).toBe('not_found');
    });
  });

  describe('retry job queries', () => {
    it('touches retrying images whose next attempt is overdue by the grace (their requeued message was lost), once', async () => {
      const grace = POLICY.pendingStaleMs;
      const at = (msFromNow: number) => new Date(Date.now() + msFromNow);
      const ids = {
        overdue: await insertImage({ status: 'retrying', attempts: 1, nextAttemptAt: at(-grace - 5 * SECOND) }),
        dueWithinGrace: await insertImage({ status: 'retrying', attempts: 2, nextAttemptAt: at(-grace + 5 * SECOND) }),
        notDue: await insertImage({ status: 'retrying', attempts: 1, nextAttemptAt: at(30 * SECOND) }),
        failed: await insertImage({ status: 'failed', attempts: 1, ageMs: 100 * grace }),
        done: await insertImage({ status: 'processed', ageMs: 100 * grace }),
      };
      expect(await retry.touchOverdueRetries(grace)).toEqual([ids.overdue]);
      expect(await statusOf(ids.overdue)).toMatchObject({ status: 'retrying', attempts: 1 });
      expect(await retry.touchOverdueRetries(grace)).toEqual([]);
      // A negative grace also takes those due within it: after a restart of the in-process queue, all of them.
      const all = await retry.touchOverdueRetries(-60 * SECOND);
      expect(all.sort((x, y) => x - y)).toEqual([ids.overdue, ids.dueWithinGrace, ids.notDue].sort((x, y) => x - y));
    });

    it('re-publishes stale pending images once per staleness period', async () => {
      const stale = await insertImage({ ageMs: POLICY.pendingStaleMs + SECOND });
      await insertImage({ ageMs: POLICY.pendingStaleMs - 10 * SECOND });
      expect(await retry.touchStalePending(POLICY)).toEqual([stale]);
      expect(await retry.touchStalePending(POLICY)).toEqual([]);
    });

    it('resets expired leases, counting the abandoned run as an attempt', async () => {
      const expired = await insertImage();
      const lastChance = await insertImage({ attempts: POLICY.maxAttempts - 1 });
      const live = await insertImage();
      for (const id of [expired, lastChance, live]) await replicaA.claim(id, `t${id}`, POLICY);
      await age(expired, POLICY.claimTimeoutMs + SECOND);
      await age(lastChance, POLICY.claimTimeoutMs + SECOND);

      expect(await retry.resetExpiredClaims(POLICY)).toEqual([expired]);
      expect(await statusOf(expired)).toMatchObject({ status: 'retrying', attempts: 1, claimedBy: null, leaseExpiresAt: null });
      expect((await statusOf(expired)).nextAttemptAt).not.toBeNull();
      expect(await statusOf(lastChance)).toMatchObject({ status: 'failed', attempts: POLICY.maxAttempts, nextAttemptAt: null });
      expect((await statusOf(live)).status).toBe('processing');
    });
  });
});
