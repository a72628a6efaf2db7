import { Observable, of, throwError } from 'rxjs';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigService, parseConfig } from '@visage/config';
import { ImageOutcomeEvent, OUTCOMES_TOPIC, VisageEvent } from '@visage/domain';
import { metricsRegistry } from '@visage/observability';
import {
  ImageProcessingRepository,
  ImageRepository,
  LockRepository,
  OutcomeEventEntity,
  OutcomeEventRepository,
  PersonRepository,
  WebhookDeliveryEntity,
} from '@visage/persistence';
import { openMigrated, Rows, TEST_DRIVERS, TestDatabase } from '../../../libs/persistence/test/test-databases';
import { metricValue } from '../../../test/support/prometheus';
import { deadEndpointUrl, WebhookReceiver } from '../../../test/support/webhook-receiver';
import { OutcomeRelayJob } from '../src/outcomes/outcome-relay.job';
import { verifyWebhookSignature, WEBHOOK_REPLAY_WINDOW_S, WebhookClient } from '../src/outcomes/webhook-client';
import { endpointLabel, WebhookDeliveryJob } from '../src/outcomes/webhook-delivery.job';

const SECRET = 'test-webhook-secret-not-secret-0123456789';

/** A queue client double: records what it is given, or fails every publish while `down`. */
class RecordingClient {
  readonly published: Array<{ topic: string; event: VisageEvent }> = [];
  down = false;

  emit<TResult = undefined, TInput = unknown>(topic: string, data: TInput): Observable<TResult> {
    if (this.down) return throwError(() => new Error('nsqd unreachable'));
    this.published.push({ topic, event: data as VisageEvent });
    return of(undefined as TResult);
  }
}

describe.each(TEST_DRIVERS)('outcome relay and webhook delivery on $name', (driver) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let rows: Rows;
  let outbox: OutcomeEventRepository;
  let processing: ImageProcessingRepository;
  let receiver: WebhookReceiver;
  let liveUrl: string;
  let deadUrl: string;
  let paths = 0;

  beforeAll(async () => {
    database = await driver.create('visage_outcome_jobs');
    dataSource = await openMigrated(database.config);
    rows = new Rows(dataSource);
    outbox = new OutcomeEventRepository(dataSource);
    processing = new ImageProcessingRepository(dataSource);
    receiver = await WebhookReceiver.start();
    liveUrl = receiver.url;
    deadUrl = await deadEndpointUrl();
  });

  afterAll(async () => {
    await receiver?.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    for (const table of ['webhook_deliveries', 'outcome_event_faces', 'outcome_events', 'faces', 'images', 'persons'])
      await dataSource.query(`DELETE FROM ${table}`);
    receiver.requests.length = 0;
    receiver.status = 204;
  });

  function config(env: Record<string, string> = {}): ConfigService {
    return new ConfigService(parseConfig({ DATABASE_URL: 'sqlite::memory:', WEBHOOK_BACKOFF_BASE_MS: '60000', ...env }));
  }

  /** Images brought to an outcome through the repository, as the processor does: one event each. */
  async function outcomes(count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const image = await rows.image(`jobs/${++paths}.jpg`);
      await processing.claim(image.id, 'consumer', { claimTimeoutMs: 60_000 });
      await processing.complete(image.id, 'consumer', { width: 1, height: 1, galleryVersion: 1, faces: [] });
      ids.push(image.id);
    }
    return ids;
  }

  it('publishes the outbox in order on image.outcomes once; a queue that does not answer leaves it for the next run, same eventIds', async () => {
    const client = new RecordingClient();
    const relay = new OutcomeRelayJob(outbox, new LockRepository(dataSource), client, config());
    const [first, second] = await outcomes(2);
    client.down = true;
    expect(await relay.runOnce()).toMatchObject({ ran: true, published: 0, unpublished: 2, queueError: expect.stringContaining('nsqd unreachable') });
    const waiting = (await outbox.unpublished(10)).map((stored) => stored.event);

    client.down = false;
    expect(await relay.runOnce()).toEqual({ ran: true, published: 2, unpublished: 0 });
    expect(client.published).toEqual([
      { topic: OUTCOMES_TOPIC, event: expect.objectContaining({ type: 'image.outcome', imageId: first }) },
      { topic: OUTCOMES_TOPIC, event: expect.objectContaining({ type: 'image.outcome', imageId: second }) },
    ]);
    expect(client.published.map(({ event }) => event)).toEqual(waiting);
    expect(await relay.runOnce()).toEqual({ ran: true, published: 0, unpublished: 0 });
    expect(client.published).toHaveLength(2);
  });

  it('publishes on the OUTCOME_EVENTS_TOPIC it is given (compose and k8s: an ephemeral topic nsqd keeps in memory only)', async () => {
    const client = new RecordingClient();
    const relay = new OutcomeRelayJob(outbox, new LockRepository(dataSource), client, config({ OUTCOME_EVENTS_TOPIC: 'image.outcomes#ephemeral' }));
    const [image] = await outcomes(1);
    expect(await relay.runOnce()).toEqual({ ran: true, published: 1, unpublished: 0 });
    expect(client.published).toEqual([
      { topic: 'image.outcomes#ephemeral', event: expect.objectContaining({ type: 'image.outcome', imageId: image }) },
    ]);
  });

  it('with OUTCOME_EVENTS_TOPIC empty publishes nothing on the queue, yet empties the outbox and queues the webhook deliveries', async () => {
    const client = new RecordingClient();
    const relay = new OutcomeRelayJob(
      outbox,
      new LockRepository(dataSource),
      client,
      config({ OUTCOME_EVENTS_TOPIC: '', WEBHOOK_URLS: liveUrl, WEBHOOK_SECRET: SECRET }),
    );
    await outcomes(2);
    expect(await relay.runOnce()).toEqual({ ran: true, published: 2, unpublished: 0 });
    expect(client.published).toEqual([]);
    expect(await dataSource.getRepository(WebhookDeliveryEntity).count()).toBe(2);
  });

  it('an empty outbox is checked without taking the relay lock (on SQLite that would be two writes a second); with events it takes it', async () => {
    const locks = new LockRepository(dataSource);
    let taken = 0;
    const tryLock = locks.tryLock.bind(locks);
    locks.tryLock = (...args: Parameters<LockRepository['tryLock']>) => {
      taken += 1;
      return tryLock(...args);
    };
    const relay = new OutcomeRelayJob(outbox, locks, new RecordingClient(), config());
    await relay.runOnce(); // the first run prunes, under the lock
    taken = 0;
    expect(await relay.runOnce()).toEqual({ ran: true, published: 0, unpublished: 0 });
    expect(taken).toBe(0);
    await outcomes(1);
    expect(await relay.runOnce()).toEqual({ ran: true, published: 1, unpublished: 0 });
    expect(taken).toBe(1);
  });

  it('a relay that died after publishing but before marking publishes the same bytes again (consumers drop them by eventId)', async () => {
    const client = new RecordingClient();
    const relay = new OutcomeRelayJob(outbox, new LockRepository(dataSource), client, config());
    await outcomes(1);
    await relay.runOnce();
    // The crash: the publish happened, the mark did not.
    await dataSource.getRepository(OutcomeEventEntity).createQueryBuilder().update().set({ publishedAt: null }).execute();
    await relay.runOnce();
    expect(client.published).toHaveLength(2);
    expect(JSON.stringify(client.published[1].event)).toBe(JSON.stringify(client.published[0].event));
  });

  it('relays erasures like outcomes: person.deleted and image.deleted on image.outcomes and to every webhook, signed, ids only', async () => {
    const settings = config({ WEBHOOK_URLS: liveUrl, WEBHOOK_SECRET: SECRET });
    const locks = new LockRepository(dataSource);
    const client = new RecordingClient();
    const relay = new OutcomeRelayJob(outbox, locks, client, settings);
    const webhooks = new WebhookDeliveryJob(outbox, locks, new WebhookClient(), settings);
    const person = await rows.person('Erin Erasable');
    const image = await rows.image(`jobs/erin-${++paths}.jpg`, { status: 'processed' });
    await rows.face(image.id, person);
    expect(await new PersonRepository(dataSource).delete(person.id)).toBe(true);
    expect(await new ImageRepository(dataSource).delete(image.id)).toEqual({ faces: 1, enrolments: 0 });

    expect(await relay.runOnce()).toEqual({ ran: true, published: 2, unpublished: 0 });
    // The image's outcome event written by the person's deletion went with the image; the erasures remain.
    expect(client.published).toEqual([
      { topic: OUTCOMES_TOPIC, event: { eventId: expect.any(String), type: 'person.deleted', personId: person.id, at: expect.any(String) } },
      { topic: OUTCOMES_TOPIC, event: { eventId: expect.any(String), type: 'image.deleted', imageId: image.id, at: expect.any(String) } },
    ]);
    expect(await webhooks.runOnce()).toEqual({ ran: true, delivered: 2, failed: 0, abandoned: 0 });
    expect(receiver.requests.map((request) => JSON.parse(request.body) as VisageEvent)).toEqual(client.published.map(({ event }) => event));
    for (const request of receiver.requests) {
      expect(verifyWebhookSignature(request.signature, request.body, SECRET)).toBe(true);
      expect(request.body).not.toMatch(/Erin|erin-/);
    }
  });

  it('POSTs each event to every endpoint with the HMAC of the body; a dead endpoint is retried with backoff and shows as down', async () => {
    const settings = config({ WEBHOOK_URLS: `${liveUrl},${deadUrl}`, WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_ATTEMPTS: '3' });
    const locks = new LockRepository(dataSource);
    const relay = new OutcomeRelayJob(outbox, locks, new RecordingClient(), settings);
    const webhooks = new WebhookDeliveryJob(outbox, locks, new WebhookClient(), settings);
    await outcomes(2);
    await relay.runOnce();

    expect(await webhooks.runOnce()).toEqual({ ran: true, delivered: 2, failed: 1, abandoned: 0 });
    const bodies = receiver.requests.map((request) => JSON.parse(request.body) as ImageOutcomeEvent);
    expect(bodies.map((event) => event.status)).toEqual(['unrecognized', 'unrecognized']);
    for (const request of receiver.requests) {
      expect(verifyWebhookSignature(request.signature, request.body, SECRET)).toBe(true);
      expect(
        verifyWebhookSignature(request.signature, request.body, SECRET, Date.now() + (WEBHOOK_REPLAY_WINDOW_S + 1) * 1000),
        'a replay after the window',
      ).toBe(false);
      expect(verifyWebhookSignature(request.signature, `${request.body} `, SECRET), 'another body').toBe(false);
      expect(request.eventId).toBe((JSON.parse(request.body) as ImageOutcomeEvent).eventId);
    }
    expect(webhooks.snapshot()).toEqual([
      expect.objectContaining({ endpoint: endpointLabel(liveUrl), state: 'up', consecutiveFailures: 0, pending: 0 }),
      expect.objectContaining({ endpoint: endpointLabel(deadUrl), state: 'down', consecutiveFailures: 1, pending: 2, lastError: expect.any(String) }),
    ]);
    const metrics = await metricsRegistry.metrics();
    expect(metricValue(metrics, 'visage_webhook_endpoint_up', { endpoint: endpointLabel(deadUrl) })).toBe(0);
    expect(metricValue(metrics, 'visage_webhook_deliveries_total', { endpoint: endpointLabel(deadUrl), result: 'failed' })).toBeGreaterThanOrEqual(1);

    // The failed delivery waits for its backoff (a minute): the next run tries the other one, then nothing is due.
    expect(await webhooks.runOnce()).toEqual({ ran: true, delivered: 0, failed: 1, abandoned: 0 });
    expect(await webhooks.runOnce()).toEqual({ ran: true, delivered: 0, failed: 0, abandoned: 0 });
    const waits = (await dataSource.query('SELECT attempts, next_attempt_at AS due FROM webhook_deliveries ORDER BY id')) as Array<{
      attempts: number;
      due: string | Date;
    }>;
    expect(waits.map((row) => Number(row.attempts))).toEqual([1, 1]);
    expect(waits.every((row) => new Date(row.due).getTime() > Date.now() + 50_000)).toBe(true);
    expect(receiver.requests).toHaveLength(2);
  });

  it('doubles the wait after each failure and gives a delivery up after WEBHOOK_MAX_ATTEMPTS', async () => {
    const settings = config({ WEBHOOK_URLS: deadUrl, WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_BACKOFF_BASE_MS: '1000' });
    const locks = new LockRepository(dataSource);
    await outcomes(1);
    await new OutcomeRelayJob(outbox, locks, new RecordingClient(), settings).runOnce();
    const webhooks = new WebhookDeliveryJob(outbox, locks, new WebhookClient(), settings);
    const deliveries = dataSource.getRepository(WebhookDeliveryEntity);
    for (const [attempt, expectedWaitMs] of [
      [1, 1_000],
      [2, 2_000],
      [3, undefined],
    ] as const) {
      // Make the delivery due now, as if its wait had passed.
      await deliveries
        .createQueryBuilder()
        .update()
        .set({ nextAttemptAt: new Date(Date.now() - 1_000) })
        .execute();
      const before = Date.now();
      const report = await webhooks.runOnce();
      const after = Date.now();
      const [row] = await deliveries.find();
      if (expectedWaitMs === undefined) {
        expect(report).toEqual({ ran: true, delivered: 0, failed: 0, abandoned: 1 });
        expect(row).toBeUndefined();
        continue;
      }
      expect(report).toEqual({ ran: true, delivered: 0, failed: 1, abandoned: 0 });
      expect(row.attempts).toBe(attempt);
      // Due exactly the wait after the failed POST, which happened between `before` and `after`.
      expect(row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + expectedWaitMs);
      expect(row.nextAttemptAt.getTime()).toBeLessThanOrEqual(after + expectedWaitMs);
    }
  });
});
