import { SchedulerRegistry } from '@nestjs/schedule';
import { Logger } from '@nestjs/common';
import { from, Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigService, parseConfig } from '@visage/config';
import { ImageQueuedEvent } from '@visage/domain';
import { ImageEntity } from '@visage/persistence';
import { TEST_DRIVERS, TestDatabase, openMigrated } from '../../../../libs/persistence/test/test-databases';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { ImageRetryRepository, LockRepository } from '@visage/persistence';
import { QueuePublisher } from '../image-processor.providers';
import { processorSettingsFrom } from '../processor.settings';
import { ImagePublisher, ImageRequeueService } from '@visage/image-queue';
import { RetryJob } from './retry.job';
import { FakeFaceAnalyzer, unavailable } from '../../../../test/support/fake-face-analyzer';
import { ManualTimers } from '../../../../test/support/manual-timers';
import { sleep } from '../../../../test/support/until';

const config = parseConfig({
  MAX_ATTEMPTS: '3',
  PENDING_STALE_MS: '120000',
  CLAIM_TIMEOUT_MS: '60000',
  RETRY_CRON: '*/15 * * * * *',
});
const settings = processorSettingsFrom(config, 'retry-test');
const SECOND = 1_000;

/** Records what was published; can hold every publish until the test opens the gate. */
class RecordingPublisher implements QueuePublisher {
  readonly published: number[] = [];
  readonly events: ImageQueuedEvent[] = [];
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => undefined;
  private firstCall: () => void = () => undefined;
  readonly called = new Promise<void>((resolve) => (this.firstCall = resolve));

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate();
  }

  emit<TResult = unknown>(_pattern: unknown, data: unknown): Observable<TResult> {
    this.firstCall();
    return from(
      this.gate.then(() => {
        this.published.push((data as ImageQueuedEvent).imageId);
        this.events.push(data as ImageQueuedEvent);
        return undefined as TResult;
      }),
    );
  }
}

interface Runner {
  job: RetryJob;
  publisher: RecordingPublisher;
  breaker: RecognizerBreaker;
  imagePublisher: ImagePublisher;
  requeue: ImageRequeueService;
}

describe.each(TEST_DRIVERS)('RetryJob on $name', (driver) => {
  let database: TestDatabase;
  const dataSources: DataSource[] = [];
  let runners: Runner[];
  let counter = 0;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await driver.create('visage_retry_job');
    dataSources.push(await openMigrated(database.config), await openMigrated(database.config));
  });

  afterAll(async () => {
    for (const dataSource of dataSources) await dataSource.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    await dataSources[0].createQueryBuilder().delete().from(ImageEntity).execute();
    // Two replicas: separate connections, publishers and breakers.
    runners = dataSources.map((dataSource) => {
      const repository = new ImageRetryRepository(dataSource);
      const publisher = new RecordingPublisher();
      const breaker = new RecognizerBreaker(new FakeFaceAnalyzer(), settings.breaker, undefined, new ManualTimers());
      const imagePublisher = new ImagePublisher(publisher, new ConfigService(config));
      const requeue = new ImageRequeueService(repository, imagePublisher);
      return {
        job: new RetryJob(repository, new LockRepository(dataSource), imagePublisher, breaker, settings, false),
        publisher,
        imagePublisher,
        breaker,
        requeue,
      };
    });
  });

  async function insert(fields: Partial<ImageEntity>, ageMs = 0): Promise<number> {
    const images = dataSources[0].getRepository(ImageEntity);
    const { id } = await images.save({ path: `retry/${++counter}.jpg`, status: 'pending', ...fields });
    const past = new Date(Date.now() - ageMs);
    const claim = { claimedAt: past, claimedBy: 'crashed', leaseExpiresAt: new Date(past.getTime() + settings.policy.claimTimeoutMs) };
    await dataSources[0]
      .createQueryBuilder()
      .update(ImageEntity)
      .set({
        updatedAt: past,
        ...(fields.status === 'processing' ? claim : {}),
        ...(fields.status === 'retrying' ? { nextAttemptAt: past } : {}),
      })
      .where('id = :id', { id })
      .execute();
    return id;
  }

  const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

  it('re-publishes exactly the expired leases, long-overdue retries and stale pending images', async () => {
    const old = 100 * settings.policy.pendingStaleMs;
    const expected = [
      await insert({ status: 'pending' }, settings.policy.pendingStaleMs + SECOND),
      await insert({ status: 'retrying', attempts: 1 }, settings.policy.pendingStaleMs + SECOND), // next attempt this late
      await insert({ status: 'processing' }, settings.policy.claimTimeoutMs + SECOND), // lease not renewed: holder gone
    ];
    const untouchedFields: Array<[Partial<ImageEntity>, number]> = [
      [{ status: 'pending' }, settings.policy.pendingStaleMs - 10 * SECOND],
      [{ status: 'retrying', attempts: 1 }, settings.policy.pendingStaleMs - 10 * SECOND], // its requeued message is due
      [{ status: 'failed', attempts: 1 }, old], // failed is final
      [{ status: 'failed', attempts: settings.policy.maxAttempts }, old],
      [{ status: 'failed', attempts: 1, permanentFailure: true }, old],
      [{ status: 'processing' }, settings.policy.claimTimeoutMs - 10 * SECOND],
      [{ status: 'processed' }, old],
      [{ status: 'unrecognized' }, old],
    ];
    const untouched: Array<[number, Partial<ImageEntity>]> = [];
    for (const [fields, age] of untouchedFields) untouched.push([await insert(fields, age), fields]);

    const report = await runners[0].job.runOnce();
    expect(report).toMatchObject({ ran: true, published: expected.length, publishErrors: 0 });
    expect(sorted(runners[0].publisher.published)).toEqual(sorted(expected));
    const rows = await dataSources[0].getRepository(ImageEntity).find();
    expect(expected.map((id) => rows.find((row) => row.id === id)?.status)).toEqual(['pending', 'retrying', 'retrying']);
    for (const [id, fields] of untouched) expect(rows.find((row) => row.id === id)).toMatchObject(fields);

    // The next tick finds nothing new: every republished row has a fresh updated_at.
    expect(await runners[0].job.runOnce()).toMatchObject({ ran: true, published: 0 });
  });

  it('a republished image keeps the request id it was submitted with (its lines stay findable by that id)', async () => {
    const withId = await insert({ status: 'pending', requestId: 'req-kept-42' }, settings.policy.pendingStaleMs + SECOND);
    const withoutId = await insert({ status: 'pending' }, settings.policy.pendingStaleMs + SECOND);
    expect(await runners[0].job.runOnce()).toMatchObject({ ran: true, published: 2 });
    const byImage = new Map(runners[0].publisher.events.map((event) => [event.imageId, event]));
    expect(byImage.get(withId)?.requestId).toBe('req-kept-42');
    expect(byImage.get(withoutId)).toBeDefined();
    expect(byImage.get(withoutId)?.requestId).toBeUndefined();
  });

  it('the boot pass (in-process queue: its messages died with the process) publishes every pending and retrying image', async () => {
    const fresh = await insert({ status: 'pending' });
    const retrying = await insert({ status: 'retrying', attempts: 1 });
    await dataSources[0].getRepository(ImageEntity).update({ id: retrying }, { nextAttemptAt: new Date(Date.now() + 30 * SECOND) });
    const live = await insert({ status: 'processing' }); // a live lease: not this pass's business
    await insert({ status: 'processed' });
    await insert({ status: 'failed', attempts: 1 });
    expect(await runners[0].job.runOnce()).toMatchObject({ ran: true, published: 0 }); // a normal tick: nothing is stale
    const report = await runners[0].job.runOnce('boot');
    expect(report).toMatchObject({ ran: true, published: 2, stalePending: [fresh], dueFailures: [retrying] });
    expect(sorted(runners[0].publisher.published)).toEqual(sorted([fresh, retrying]));
    expect((await dataSources[0].getRepository(ImageEntity).findOneByOrFail({ id: live })).status).toBe('processing');
  });

  it('of two replicas ticking together only one works; the other finds the lock taken', async () => {
    const stale = await Promise.all([1, 2, 3].map(() => insert({ status: 'pending' }, settings.policy.pendingStaleMs + SECOND)));
    const [first, second] = runners;
    first.publisher.hold();
    const firstTick = first.job.runOnce();
    await first.publisher.called; // replica A holds the lock and is publishing
    expect(await second.job.runOnce()).toEqual({ ran: false, reason: 'locked' });
    first.publisher.release();
    expect(await firstTick).toMatchObject({ ran: true, published: 3 });
    expect(sorted(first.publisher.published)).toEqual(sorted(stale));
    expect(second.publisher.published).toEqual([]);

    // Lock released: B can run the next tick (and finds nothing due).
    expect(await second.job.runOnce()).toMatchObject({ ran: true, published: 0 });
  });

  it('skips the tick while this replica’s circuit is open', async () => {
    await insert({ status: 'pending' }, settings.policy.pendingStaleMs + SECOND);
    const runner = runners[0];
    const analyzer = new FakeFaceAnalyzer(unavailable);
    const breaker = new RecognizerBreaker(analyzer, settings.breaker, undefined, new ManualTimers());
    for (let index = 0; index < settings.breaker.failureThreshold; index++) await breaker.analyze('x.jpg').catch(() => undefined);
    const job = new RetryJob(
      new ImageRetryRepository(dataSources[0]),
      new LockRepository(dataSources[0]),
      runner.imagePublisher,
      breaker,
      settings,
      false,
    );
    expect(await job.runOnce()).toEqual({ ran: false, reason: 'breaker_open' });
    expect(runner.publisher.published).toEqual([]);
    breaker.shutdown();
  });

  it('the manual retry path requeues a failed image with fresh attempts and publishes it', async () => {
    const failed = await insert({ status: 'failed', attempts: 3, permanentFailure: true });
    const done = await insert({ status: 'processed' });
    expect(await runners[0].requeue.retryImage(failed)).toBe('requeued');
    expect(await runners[0].requeue.retryImage(done)).toBe('not_failed');
    expect(await runners[0].requeue.retryImage(999_999)).toBe('not_found');
    expect(runners[0].publisher.published).toEqual([failed]);
    expect(await dataSources[0].getRepository(ImageEntity).findOneByOrFail({ id: failed })).toMatchObject({
      status: 'pending',
      attempts: 0,
      permanentFailure: false,
    });
  });

  it('a scheduled tick that fails is logged, never left as an unhandled rejection (which would end the process)', async () => {
    const runner = runners[0];
    const repository = new ImageRetryRepository(dataSources[0]);
    let failures = 0;
    repository.resetExpiredClaims = () => Promise.reject(new Error(`connection closed (${++failures})`));
    // A queue that keeps its messages: no boot pass, so the fired tick is the one that runs; and a cron that does not
    // fire during the test (every 15 s would, when the test straddles a quarter-minute, and count a second failure).
    const onceAYear = { ...settings, queueKeepsMessages: true, retryCron: '0 0 0 1 1 *' };
    const job = new RetryJob(repository, new LockRepository(dataSources[0]), runner.imagePublisher, runner.breaker, onceAYear, true);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    job.onApplicationBootstrap();
    try {
      await job.runs.fire();
      await sleep(200);
    } finally {
      job.onModuleDestroy();
      process.off('unhandledRejection', onUnhandled);
    }
    expect(failures).toBe(1);
    expect(unhandled).toEqual([]);
  });

  it('schedules the job on RETRY_CRON as a @nestjs/schedule cron job and stops it on shutdown', () => {
    const runner = runners[0];
    const registry = new SchedulerRegistry();
    const job = new RetryJob(
      new ImageRetryRepository(dataSources[0]),
      new LockRepository(dataSources[0]),
      runner.imagePublisher,
      runner.breaker,
      settings,
      true,
      registry,
    );
    expect(job.runs.declaration.schedule).toEqual({ cron: '*/15 * * * * *' });
    job.onApplicationBootstrap();
    try {
      expect(job.runs.active).toBe(true);
      expect([...registry.getCronJobs().keys()]).toEqual(['retry tick']);
    } finally {
      job.onModuleDestroy();
    }
    expect(job.runs.active).toBe(false);
    expect(registry.getCronJobs().size).toBe(0);
  });
});
