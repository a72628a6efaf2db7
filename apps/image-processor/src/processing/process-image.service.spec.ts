import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import {
  DEFAULT_DESCRIPTOR_RECIPE,
  DESCRIPTOR_LENGTH,
  FaceAnalysisError,
  FaceMatcher,
  RECOGNIZER_NOT_READY,
  RECOGNIZER_OVERLOADED,
} from '@visage/domain';
import { Gallery, VersionedGallery } from '@visage/matcher';
import { FaceEntity, ImageEntity, PersonEntity } from '@visage/persistence';
import { FakeConsumer, FakeMatcher } from '../../test/fakes';
import { MigratedTestDatabase, openTestDatabase } from '../../../../libs/persistence/test/test-databases';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { ImageProcessingRepository } from '@visage/persistence';
import { processorSettingsFrom } from '../processor.settings';
import { ProcessImageService } from './process-image.service';
import { FakeFaceAnalyzer, corrupt, facesFromPath, slowerThanDeadline, unavailable } from '../../../../test/support/fake-face-analyzer';
import { ManualTimers } from '../../../../test/support/manual-timers';
import { until } from '../../../../test/support/until';

const config = parseConfig({ MAX_ATTEMPTS: '3', FACE_RECOGNITION_DEADLINE_MS: '4321', BREAKER_FAILURE_THRESHOLD: '5' });
const settings = processorSettingsFrom(config, 'test-replica');
/** A repository whose next calls fail like a database that went away. */
class FlakyRepository extends ImageProcessingRepository {
  failNext = new Set<'claim' | 'complete' | 'release'>();
  beforeClaim: (() => Promise<void>) | undefined;

  private maybeFail(operation: 'claim' | 'complete' | 'release'): void {
    if (this.failNext.delete(operation)) throw new Error(`connect ECONNREFUSED (${operation})`);
  }

  override async claim(...args: Parameters<ImageProcessingRepository['claim']>) {
    this.maybeFail('claim');
    const hook = this.beforeClaim;
    this.beforeClaim = undefined;
    await hook?.();
    return super.claim(...args);
  }

  override async complete(...args: Parameters<ImageProcessingRepository['complete']>) {
    this.maybeFail('complete');
    return super.complete(...args);
  }

  override async release(...args: Parameters<ImageProcessingRepository['release']>) {
    this.maybeFail('release');
    return super.release(...args);
  }
}

describe('ProcessImageService (SQLite)', () => {
  let database: MigratedTestDatabase;
  let dataSource: DataSource;
  let repository: FlakyRepository;
  let analyzer: FakeFaceAnalyzer;
  let breaker: RecognizerBreaker;
  let service: ProcessImageService;
  let renewals: ManualTimers;
  let ada: number;
  let counter = 0;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await openTestDatabase();
    dataSource = database.dataSource;
    ada = (await dataSource.getRepository(PersonEntity).save({ name: 'Ada' })).id;
  });

  afterAll(async () => {
    await database?.close();
  });

  beforeEach(() => {
    repository = new FlakyRepository(dataSource);
    analyzer = new FakeFaceAnalyzer(facesFromPath);
    breaker = new RecognizerBreaker(analyzer, settings.breaker, new FakeConsumer(), new ManualTimers()); // probes never fired: the breaker stays open until a test closes it
    renewals = new ManualTimers();
    service = new ProcessImageService(repository, breaker, new FakeMatcher(new Map([[ada, 'Ada']])), settings, renewals);
  });

  /** `faces` names the persons in the picture (0 = stranger); the fake recognizer reads them from the path. */
  async function image(faces: number[] | 'corrupt' = [], fields: Partial<ImageEntity> = {}): Promise<number> {
    const path = faces === 'corrupt' ? `broken/${++counter}.jpg` : `${++counter}/faces/${faces.join('-')}.jpg`;
    return (await dataSource.getRepository(ImageEntity).save({ path, status: 'pending', ...fields })).id;
  }

  const row = (id: number) => dataSource.getRepository(ImageEntity).findOneByOrFail({ id });

  /** Analyses wait until `release()`; `analysing` resolves once one has started. */
  function holdAnalyses(): { analysing: Promise<void>; release: () => void } {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const analysing = new Promise<void>((resolve) => (started = resolve));
    analyzer.behaviour = async (path) => {
      started();
      await gate;
      return facesFromPath(path);
    };
    return { analysing, release };
  }
  const facesOf = (id: number) => dataSource.getRepository(FaceEntity).findBy({ imageId: id });

  it('a known face → processed with the person, the face stored, the deadline passed to the recognizer', async () => {
    const id = await image([ada]);
    expect(await service.process(id)).toEqual({ status: 'processed', imageId: id, faces: 1, personIds: [ada] });
    expect(await row(id)).toMatchObject({ status: 'processed', width: 640, height: 480, claimedBy: null });
    expect(await facesOf(id)).toMatchObject([{ personId: ada }]);
    expect(analyzer.analyzeCalls.at(-1)?.deadlineMs).toBe(4321);
  });

  it("stores each face with the recognizer's descriptor recipe, and refuses descriptors of another recipe than its own", async () => {
    const id = await image([ada]);
    expect(await service.process(id)).toMatchObject({ status: 'processed' });
    expect((await facesOf(id)).map((face) => face.descriptorRecipe)).toEqual([DEFAULT_DESCRIPTOR_RECIPE]);
    // A recognizer configured with another recipe: its descriptors cannot be matched here, the attempt fails.
    analyzer.behaviour = async (path) => ({ ...(await facesFromPath(path)), recipe: 'crop' });
    const other = await image([ada]);
    expect(await service.process(other)).toMatchObject({
      status: 'failed_transient',
      error: expect.stringContaining(`computes crop descriptors, FACE_DESCRIPTOR_RECIPE here is ${DEFAULT_DESCRIPTOR_RECIPE}`),
    });
    expect(await facesOf(other)).toEqual([]);
  });

  it('a stranger → unrecognized, the face stored without a person but with its nearest distance', async () => {
    const id = await image([0]);
    expect(await service.process(id)).toEqual({ status: 'unrecognized', imageId: id, faces: 1 });
    const [face] = await facesOf(id);
    expect(face).toMatchObject({ personId: null });
    expect(face?.distance).toBeCloseTo(0.9, 5);
  });

  it('a person deleted after the gallery loaded: matched again after a reload, nothing points at them', async () => {
    const deleted = 987_654; // in the gallery, no longer in the database
    const matcher = new FakeMatcher(
      new Map([
        [ada, 'Ada'],
        [deleted, 'Gone'],
      ]),
    );
    matcher.onRefresh = () => matcher.known.delete(deleted);
    service = new ProcessImageService(repository, breaker, matcher, settings);
    const id = await image([deleted, ada]);
    const callsBefore = analyzer.analyzeCalls.length;
    expect(await service.process(id)).toEqual({ status: 'processed', imageId: id, faces: 2, personIds: [ada] });
    expect(matcher.refreshes).toBe(1);
    expect(analyzer.analyzeCalls.length).toBe(callsBefore + 1); // matched again, not analysed again
    expect((await facesOf(id)).map((face) => [face.personId, face.galleryVersion])).toEqual([
      [null, 2],
      [ada, 2],
    ]);
  });

  it('names a person at most once per photo: the nearer face keeps them, the other takes its next candidate or nobody', async () => {
    const bob = (await dataSource.getRepository(PersonEntity).save({ name: 'Bob' })).id;
    const point = (x: number, y = 0) => Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => (index === 0 ? x : index === 1 ? y : 0));
    // Ada at the origin, Bob 0.45 away; three faces nearest to Ada.
    const gallery = new VersionedGallery(
      4,
      new Gallery([
        { personId: ada, personName: 'Ada', descriptor: point(0) },
        { personId: bob, personName: 'Bob', descriptor: point(0, 0.45) },
      ]),
      { threshold: 0.5, margin: 0.02 },
    );
    const matcher: FaceMatcher = { current: () => gallery, refresh: async () => false };
    service = new ProcessImageService(repository, breaker, matcher, settings, renewals);
    const faces = [point(0, 0.2), point(0.1), point(-0.2)].map((descriptor) => ({
      box: { x: 0, y: 0, width: 80, height: 80 },
      score: 0.9,
      descriptor,
    }));
    analyzer.behaviour = async () => ({ width: 640, height: 480, faces, recipe: DEFAULT_DESCRIPTOR_RECIPE });
    const id = await image([]);
    expect(await service.process(id)).toMatchObject({ status: 'processed', faces: 3, personIds: [bob, ada] });
    // Face 1 (0.1) keeps Ada; face 0 (Ada 0.2) takes Bob (0.25); face 2 (Ada 0.2) has Bob 0.49 but Bob is taken.
    const stored = (await facesOf(id)).sort((a, b) => a.id - b.id);
    expect(stored.map((face) => face.personId)).toEqual([bob, ada, null]);
    expect(stored.map((face) => face.distance)).toEqual([expect.closeTo(0.25, 5), expect.closeTo(0.1, 5), expect.closeTo(0.2, 5)]);
  });

  it('a face of low quality is stored with its quality and verdict, never named, and takes nobody from another face', async () => {
    const point = (x: number) => Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => (index === 0 ? x : 0));
    const gallery = new VersionedGallery(4, new Gallery([{ personId: ada, personName: 'Ada', descriptor: point(0) }]), {
      threshold: 0.5,
      margin: 0.02,
    });
    service = new ProcessImageService(repository, breaker, { current: () => gallery, refresh: async () => false }, settings, renewals);
    const blurred = { size: 120, score: 0.9, sharpness: 12, yaw: 70, pitch: 2, roll: 1 };
    const sharp = { size: 120, score: 0.9, sharpness: 800, yaw: 3, pitch: 2, roll: 1 };
    analyzer.behaviour = async () => ({
      width: 640,
      height: 480,
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
      faces: [
        { box: { x: 0, y: 0, width: 120, height: 120 }, score: 0.9, descriptor: point(0.05), quality: blurred },
        { box: { x: 200, y: 0, width: 120, height: 120 }, score: 0.9, descriptor: point(0.2), quality: sharp },
      ],
    });
    const id = await image([]);
    expect(await service.process(id)).toMatchObject({ status: 'processed', personIds: [ada] });
    const [low, good] = (await facesOf(id)).sort((a, b) => a.id - b.id);
    expect(low).toMatchObject({ personId: null, lowQuality: true, qualityReasons: 'blurred,turned_away', qualityYaw: 70 });
    expect(low.distance).toBeCloseTo(0.05, 5);
    expect(low.qualitySharpness).toBeCloseTo(12, 3);
    expect(good).toMatchObject({ personId: ada, lowQuality: false, qualityReasons: null });
  });

  it('no face → unrecognized', async () => {
    const id = await image([]);
    expect(await service.process(id)).toEqual({ status: 'unrecognized', imageId: id, faces: 0 });
    expect((await row(id)).status).toBe('unrecognized');
  });

  it('a known face and a stranger → processed, both faces stored', async () => {
    const id = await image([0, ada]);
    expect(await service.process(id)).toMatchObject({ status: 'processed', faces: 2, personIds: [ada] });
    expect(await facesOf(id)).toHaveLength(2);
  });

  it('a corrupt file → failed for good, never analyzed again', async () => {
    analyzer.behaviour = async (path) => (path.startsWith('broken/') ? corrupt(path) : facesFromPath(path));
    const id = await image('corrupt');
    const result = await service.process(id);
    expect(result).toMatchObject({ status: 'failed_permanent', imageId: id });
    expect(result.status === 'failed_permanent' && result.error).toContain('INVALID_ARGUMENT');
    expect(await row(id)).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1 });

    const calls = analyzer.analyzeCalls.length;
    expect(await service.process(id)).toEqual({ status: 'skipped', imageId: id, reason: 'already_done' });
    expect(analyzer.analyzeCalls.length).toBe(calls);
  });

  it('a transient error → retrying with the next attempt stored and requeued after that backoff, until the attempts run out', async () => {
    analyzer.behaviour = unavailable;
    const id = await image([ada]);
    const base = config.QUEUE_REQUEUE_BASE_DELAY_MS;
    const before = Date.now();
    expect(await service.process(id)).toMatchObject({ status: 'failed_transient', willRetry: true, retryInMs: base });
    const first = await row(id);
    expect(first).toMatchObject({ status: 'retrying', attempts: 1, permanentFailure: false });
    expect(first.lastError).toContain('UNAVAILABLE');
    expect(first.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + base - 1_000);
    expect(await service.process(id)).toMatchObject({ status: 'failed_transient', willRetry: true, retryInMs: 2 * base });
    expect(await service.process(id)).toMatchObject({ status: 'failed_transient', willRetry: false });
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(await service.process(id)).toMatchObject({ status: 'skipped', reason: 'already_done' });
  });

  it('a recognizer slower than FACE_RECOGNITION_DEADLINE_MS → failed_transient, requeued', async () => {
    analyzer.behaviour = slowerThanDeadline;
    const quick = new ProcessImageService(repository, breaker, new FakeMatcher(new Map()), { ...settings, analysisDeadlineMs: 15 });
    const id = await image([ada]);
    const result = await quick.process(id);
    expect(result).toMatchObject({ status: 'failed_transient', willRetry: true });
    expect(result.status === 'failed_transient' && result.error).toContain('DEADLINE_EXCEEDED');
    expect(analyzer.analyzeCalls.at(-1)?.deadlineMs).toBe(15);
    expect(await row(id)).toMatchObject({ status: 'retrying', attempts: 1, permanentFailure: false });
  });

  it('a transient error followed by a healthy recognizer → processed on the redelivery', async () => {
    analyzer.behaviour = unavailable;
    const id = await image([ada]);
    await service.process(id);
    analyzer.behaviour = facesFromPath;
    expect(await service.process(id)).toMatchObject({ status: 'processed' });
    expect(await row(id)).toMatchObject({ status: 'processed', attempts: 1, lastError: null });
  });

  it('breaker open → deferred: the image stays pending, no attempt spent, no call made', async () => {
    analyzer.behaviour = unavailable;
    for (let index = 0; index < settings.breaker.failureThreshold; index++) await service.process(await image([ada]));
    expect(breaker.state).toBe('open');

    const fresh = await image([ada]);
    const retried = await image([ada], { status: 'retrying', attempts: 1 });
    const calls = analyzer.analyzeCalls.length;
    for (const id of [fresh, retried]) {
      const result = await service.process(id);
      expect(result).toMatchObject({ status: 'deferred', imageId: id });
      expect(result.status === 'deferred' && result.retryInMs).toBeGreaterThan(0);
    }
    expect(analyzer.analyzeCalls.length).toBe(calls);
    expect(await row(fresh)).toMatchObject({ status: 'pending', attempts: 0, claimedBy: null });
    expect(await row(retried)).toMatchObject({ status: 'retrying', attempts: 1 });
  });

  it('the circuit opening while the image is being claimed → deferred, the claim released, no attempt spent', async () => {
    const id = await image([ada]);
    repository.beforeClaim = async () => {
      analyzer.behaviour = unavailable;
      for (let index = 0; index < settings.breaker.failureThreshold; index++) await breaker.analyze('other.jpg').catch(() => undefined);
    };
    const calls = analyzer.analyzeCalls.length + settings.breaker.failureThreshold;
    expect(await service.process(id)).toMatchObject({ status: 'deferred', imageId: id });
    expect(breaker.state).toBe('open');
    expect(analyzer.analyzeCalls.length).toBe(calls);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0, claimedBy: null });
  });

  it('a recognizer still loading its models → deferred: no attempt spent, the image pending, never failed', async () => {
    analyzer.behaviour = async () => {
      throw new FaceAnalysisError('transient', 'models are still loading', 'UNAVAILABLE', RECOGNIZER_NOT_READY);
    };
    const fresh = await image([ada]);
    const retried = await image([ada], { status: 'retrying', attempts: 1 });
    for (const id of [fresh, retried]) {
      expect(await service.process(id)).toMatchObject({ status: 'deferred', imageId: id, reason: 'models_loading' });
    }
    expect(await row(fresh)).toMatchObject({ status: 'pending', attempts: 0, claimedBy: null, lastError: null });
    expect(await row(retried)).toMatchObject({ status: 'pending', attempts: 1, claimedBy: null });

    // Any other transient error still spends an attempt.
    analyzer.behaviour = unavailable;
    expect(await service.process(fresh)).toMatchObject({ status: 'failed_transient', willRetry: true });
    expect(await row(fresh)).toMatchObject({ status: 'retrying', attempts: 1 });
  });

  it('an overloaded recognizer (queue full, or the deadline passed in its queue) → deferred with a growing backoff: no attempt spent, never failed, the circuit closed', async () => {
    const overloads = [
      new FaceAnalysisError('transient', 'queue full', 'RESOURCE_EXHAUSTED', RECOGNIZER_OVERLOADED),
      new FaceAnalysisError('transient', 'deadline passed while queued', 'DEADLINE_EXCEEDED', RECOGNIZER_OVERLOADED),
    ];
    let answered = 0;
    analyzer.behaviour = async () => {
      throw overloads[answered++ % overloads.length];
    };
    const id = await image([ada]);
    const delays: number[] = [];
    // Far more overloaded answers than MAX_ATTEMPTS and the breaker's failure threshold together.
    for (let delivery = 0; delivery < settings.policy.maxAttempts + settings.breaker.failureThreshold + 2; delivery++) {
      const result = await service.process(id);
      expect(result).toMatchObject({ status: 'deferred', imageId: id, reason: 'overloaded' });
      if (result.status === 'deferred') delays.push(result.retryInMs);
      expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0, claimedBy: null, lastError: null });
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveOverloads).toBe(delays.length);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[delays.length - 1]).toBeGreaterThanOrEqual(8 * delays[0] * 0.8);

    // Once the recognizer has room again the image goes through, and the backoff starts over.
    analyzer.behaviour = facesFromPath;
    expect(await service.process(id)).toMatchObject({ status: 'processed' });
    expect(await row(id)).toMatchObject({ status: 'processed', attempts: 0 });
    expect(breaker.snapshot().consecutiveOverloads).toBe(0);
  });

  it('the same message delivered twice at once → one outcome, faces stored once', async () => {
    const id = await image([ada]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    analyzer.behaviour = async (path) => {
      await gate;
      return facesFromPath(path);
    };
    const first = service.process(id);
    const second = service.process(id);
    release();
    const results = await Promise.all([first, second]);
    expect(results.map((result) => result.status).sort()).toEqual(['deferred', 'processed']);
    // The copy that met the live lease comes back when that lease would expire, in case its holder died.
    const deferred = results.find((result) => result.status === 'deferred');
    expect(deferred).toMatchObject({ reason: 'leased' });
    expect(deferred?.status === 'deferred' && deferred.retryInMs).toBeGreaterThan(settings.policy.claimTimeoutMs - 2_000);
    expect(analyzer.analyzeCalls).toHaveLength(1);
    expect(await facesOf(id)).toHaveLength(1);
    expect(await service.process(id)).toEqual({ status: 'skipped', imageId: id, reason: 'already_done' }); // its return
  });

  it('renews the lease while the analysis runs, and stops once the image is settled', async () => {
    const id = await image([ada]);
    const { analysing, release } = holdAnalyses();
    const processing = service.process(id);
    await analysing;
    expect(service.activeClaimCount).toBe(1);
    const firstLease = (await row(id)).leaseExpiresAt!.getTime();
    // Shorten the lease as if time had passed; one renewal must push it a whole lease ahead again.
    await dataSource.getRepository(ImageEntity).update({ id }, { leaseExpiresAt: new Date(Date.now() - 1_000) });
    await renewals.fire();
    await until(async () => (await row(id)).leaseExpiresAt!.getTime() >= firstLease - 1_000, 'the lease to be renewed');
    expect(await repository.claim(id, 'another-replica', settings.policy)).toBe('busy');

    release();
    expect(await processing).toMatchObject({ status: 'processed' });
    expect(renewals.pendingCount).toBe(0);
    expect(service.activeClaimCount).toBe(0);
    expect(await row(id)).toMatchObject({ status: 'processed', leaseExpiresAt: null, claimedBy: null });
  });

  it('releaseActiveClaims (shutdown) gives a held image back as pending; the abandoned run then writes nothing', async () => {
    const id = await image([ada]);
    const { analysing, release } = holdAnalyses();
    const processing = service.process(id);
    await analysing;
    expect(await service.releaseActiveClaims()).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0, claimedBy: null, leaseExpiresAt: null });
    release();
    expect(await processing).toEqual({ status: 'skipped', imageId: id, reason: 'claim_lost' });
    expect(await facesOf(id)).toHaveLength(0);
  });

  it('database errors → failed_transient; a claim it could not release is released on the redelivery', async () => {
    const id = await image([ada]);
    repository.failNext.add('claim');
    expect(await service.process(id)).toMatchObject({ status: 'failed_transient', willRetry: true });
    expect((await row(id)).status).toBe('pending');

    repository.failNext.add('complete');
    repository.failNext.add('release');
    expect(await service.process(id)).toMatchObject({ status: 'failed_transient', willRetry: true });
    expect((await row(id)).status).toBe('processing'); // database "down": the claim could not be given back

    expect(await service.process(id)).toMatchObject({ status: 'processed' });
    expect(await facesOf(id)).toHaveLength(1);
  });
});
