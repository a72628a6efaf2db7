/**
 * Outcome events end to end, on two stacks — SQLite + the in-process queue, and MariaDB + the NSQ test server
 * (the subscriber a real nsqjs Reader finding the topic through nsqlookupd) — with the receiver, the processor and
 * the recognizer double. A scripted sequence (submit, outcome, enrol, re-match, a failure, "Not <name>") gives
 * exactly the expected events on `image.outcomes`, in order; a webhook receiver gets the same bodies, signed; a
 * dead webhook endpoint is retried, shows in readiness and metrics, and processing goes on; forgetting a person and
 * an image publishes their erasure events, ids only.
 */
import { readFileSync } from 'node:fs';
import { INestApplication, Logger } from '@nestjs/common';
import Ajv from 'ajv';
import { Reader } from 'nsqjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageOutcomeEvent, OUTCOMES_TOPIC, VisageEvent } from '@visage/domain';
import { InProcessBroker } from '@visage/queue';
import { createImageProcessorApp } from '../../apps/image-processor/src/image-processor.app';
import { createReceiverApp } from '../../apps/receiver/src/receiver.app';
import { verifyWebhookSignature } from '../../apps/image-processor/src/outcomes/webhook-client';
import { metricValue } from '../support/prometheus';
import { deadEndpointUrl, WebhookReceiver } from '../support/webhook-receiver';
import { baseUrl, createImagesRoot, e2eStacks, E2eStack, embeddedStackConfig, http, ImagesRoot, ReceiverClient, RecognizerDouble } from './harness';
import { sleep, until } from '../support/until';

const SECRET = 'outcome-events-secret-not-secret-0123456789';
/** The documented schema (docs/events.md) every received event must satisfy. */
const validateEvent = new Ajv({
  allErrors: true,
  formats: { 'date-time': (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) },
}).compile(JSON.parse(readFileSync(`${__dirname}/../../docs/outcome-event.schema.json`, 'utf8')) as object);
const CHANNEL = 'e2e-subscriber';

/** What a consumer of `image.outcomes` received, as raw bodies. */
interface Subscriber {
  bodies: string[];
  close(): Promise<void>;
}

/** A consumer of `image.outcomes` on the stack's queue: a real nsqjs Reader through nsqlookupd, or the in-process broker. */
async function subscribe(env: Record<string, string>): Promise<Subscriber> {
  const bodies: string[] = [];
  const lookupd = env.NSQLOOKUPD_HTTP_ADDRESSES;
  if (!lookupd) {
    const detach = InProcessBroker.shared()
      .channel(OUTCOMES_TOPIC, CHANNEL)
      .attach({ hasCapacity: () => true, receive: (message) => bodies.push(message.body) });
    return { bodies, close: async () => detach() };
  }
  const reader = new Reader(OUTCOMES_TOPIC, CHANNEL, { lookupdHTTPAddresses: [lookupd], lookupdPollInterval: 1 });
  reader.on('message', (message) => {
    bodies.push(message.body.toString('utf8'));
    message.finish();
  });
  const connected = new Promise<void>((resolve) => reader.once('nsqd_connected', () => resolve()));
  reader.connect();
  await connected;
  return { bodies, close: async () => reader.close() };
}

describe.each(e2eStacks('visage_e2e_outcomes'))('outcome events — $name', ({ start }) => {
  let stack: E2eStack;
  let images: ImagesRoot;
  let recognizer: RecognizerDouble;
  let receiverApp: INestApplication;
  let processorApp: INestApplication;
  let receiver: ReceiverClient;
  let subscriber: Subscriber;
  let webhook: WebhookReceiver;
  let deadUrl: string;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    stack = await start();
    images = createImagesRoot('visage-outcomes-');
    recognizer = await RecognizerDouble.start();
    webhook = await WebhookReceiver.start();
    deadUrl = await deadEndpointUrl();
    const config = embeddedStackConfig(stack, images, {
      FACE_RECOGNITION_ADDRESS: recognizer.address,
      GALLERY_REFRESH_MS: '300',
      WEBHOOK_URLS: `${webhook.url},${deadUrl}`,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_BACKOFF_BASE_MS: '100',
      WEBHOOK_BACKOFF_MAX_MS: '400',
      WEBHOOK_MAX_ATTEMPTS: '1000',
    });
    receiverApp = await createReceiverApp(config, { logger: ['error'] });
    await receiverApp.listen(0, '127.0.0.1');
    processorApp = await createImageProcessorApp(config, { scheduleRetryJob: false, logger: ['error'] });
    await processorApp.listen(0, '127.0.0.1');
    receiver = new ReceiverClient(baseUrl(receiverApp));
    subscriber = await subscribe(stack.env);
  }, 120_000);

  afterAll(async () => {
    await subscriber?.close();
    await processorApp?.close();
    await receiverApp?.close();
    recognizer?.stop();
    await webhook?.stop();
    await stack?.close();
    images?.remove();
  });

  const received = () => subscriber.bodies.map((body) => JSON.parse(body) as VisageEvent);
  const outcomes = () => received().filter((event): event is ImageOutcomeEvent => event.type === 'image.outcome');

  it('submit, outcome, enrol, re-match, a failure, "Not <name>": exactly the expected events, in order', async () => {
    const alice = images.copy('astronaut.png', 'in/alice.png');
    const imageId = await receiver.post(alice);
    const unknown = await receiver.settled(imageId);
    expect(unknown.status).toBe('unrecognized');
    await until(() => subscriber.bodies.length === 1, 'the outcome event');

    const person = await http<{ id: number }>('POST', `${receiver.url}/persons`, { name: 'Alice' });
    expect(person.status).toBe(201);
    expect((await http('POST', `${receiver.url}/persons/${person.body.id}/faces`, { path: alice })).status).toBe(201);
    const named = await receiver.settled(imageId, ['processed'], 30_000);
    await until(() => subscriber.bodies.length === 2, 'the re-match event');

    const badId = await receiver.post(images.copy('camera.png', 'bad/corrupt.png'));
    expect((await receiver.settled(badId)).status).toBe('failed');
    await until(() => subscriber.bodies.length === 3, 'the failure event');

    const faceId = (named.faces[0] as unknown as { id: number }).id;
    expect((await http('POST', `${receiver.url}/faces/${faceId}/reject`)).status).toBe(200);
    await until(() => subscriber.bodies.length === 4, 'the review event');
    // The rejected face is re-matched without Alice: nobody else is near, so its identity stays and no event follows.
    await until(async () => (await receiver.image(imageId)).faces[0].galleryVersion !== 0, 'the re-match of the rejected face', 30_000);
    await sleep(1_500); // two relay runs: an event written by that re-match would be on the topic by now

    const events = outcomes();
    expect(events).toHaveLength(subscriber.bodies.length);
    expect(
      events.map((event) => [event.imageId, event.path, event.status, event.faces.map((face) => [face.faceId, face.personId, face.personName])]),
    ).toEqual([
      [imageId, alice, 'unrecognized', [[faceId, null, null]]],
      [imageId, alice, 'processed', [[faceId, person.body.id, 'Alice']]],
      [badId, 'bad/corrupt.png', 'failed', []],
      [imageId, alice, 'unrecognized', [[faceId, null, null]]],
    ]);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(4);
    expect(events[1].galleryVersion).toBeGreaterThan(events[0].galleryVersion);
    expect(events[1].faces[0]).toMatchObject({ distance: expect.closeTo(0, 3), box: { x: 10, y: 10, width: 40, height: 40 } });
    for (const event of events) expect(validateEvent(event) ? [] : validateEvent.errors).toEqual([]);
  });

  it('the webhook receives the same bodies, each signed with HMAC-SHA256 of the body', async () => {
    await until(() => webhook.requests.length >= 4, 'the webhook deliveries', 30_000);
    expect(webhook.requests.map((request) => request.body)).toEqual(subscriber.bodies);
    for (const request of webhook.requests) {
      expect(verifyWebhookSignature(request.signature, request.body, SECRET)).toBe(true);
    }
  });

  it('a dead endpoint is retried with backoff, shows in readiness and metrics, and processing is unaffected', async () => {
    const deadHost = new URL(deadUrl).host;
    const scrape = async () => (await http('GET', `${baseUrl(processorApp)}/metrics`)).text;
    await until(
      async () => metricValue(await scrape(), 'visage_webhook_deliveries_total', { endpoint: deadHost, result: 'failed' }) >= 3,
      'retries of the dead endpoint',
      30_000,
    );
    const metrics = await scrape();
    expect(metricValue(metrics, 'visage_webhook_endpoint_up', { endpoint: deadHost })).toBe(0);
    expect(metricValue(metrics, 'visage_webhook_endpoint_up', { endpoint: new URL(webhook.url).host })).toBe(1);
    expect(metricValue(metrics, 'visage_webhook_deliveries_total', { endpoint: deadHost, result: 'delivered' })).toBe(0);

    const ready = await http<{ status: string; details: { webhooks: { status: string; endpoints: Array<Record<string, unknown>> } } }>(
      'GET',
      `${baseUrl(processorApp)}/health/ready`,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.details.webhooks.status).toBe('up');
    expect(ready.body.details.webhooks.endpoints).toEqual([
      expect.objectContaining({ endpoint: new URL(webhook.url).host, state: 'up' }),
      expect.objectContaining({
        endpoint: deadHost,
        state: 'down',
        consecutiveFailures: expect.any(Number),
        lastError: expect.any(String),
        pending: 4,
      }),
    ]);
    expect(ready.body.details.webhooks.endpoints[1].consecutiveFailures).toBeGreaterThanOrEqual(3);

    // Processing goes on while the endpoint stays dead: new images reach their outcome and their events go out.
    const ids = [await receiver.post(images.copy('coffee.png', 'in/later-1.png')), await receiver.post(images.copy('rocket.jpg', 'in/later-2.jpg'))];
    const settled = await Promise.all(ids.map((id) => receiver.settled(id)));
    // The double's synthetic faces may or may not come near Alice's: either identity is an outcome, never a failure.
    for (const image of settled) expect(['processed', 'unrecognized']).toContain(image.status);
    await until(() => outcomes().filter((event) => ids.includes(event.imageId)).length === 2, "the later images' events");
    await until(() => webhook.requests.length === 6, 'their webhook deliveries');
  });

  it('forgetting publishes image.deleted and person.deleted, ids only, to the topic and the webhook', async () => {
    const alice = (await http<{ items: Array<{ id: number; name: string }> }>('GET', `${receiver.url}/persons`)).body.items.find(
      (person) => person.name === 'Alice',
    );
    expect(alice).toBeDefined();
    const [{ id: imageId, path }] = (await http<{ items: Array<{ id: number; path: string }> }>('GET', `${receiver.url}/images?limit=1`)).body.items;
    const before = subscriber.bodies.length;
    // The image first: the person's deletion can then write no outcome event (with its path) for it.
    expect((await http('DELETE', `${receiver.url}/images/${imageId}`)).status).toBe(204);
    expect((await http('DELETE', `${receiver.url}/persons/${alice!.id}`)).status).toBe(204);
    const erasures = () => received().filter((event) => event.type !== 'image.outcome');
    await until(() => erasures().length === 2, 'the erasure events');

    expect(erasures()).toEqual([
      { eventId: expect.any(String), type: 'image.deleted', imageId, at: expect.any(String) },
      { eventId: expect.any(String), type: 'person.deleted', personId: alice!.id, at: expect.any(String) },
    ]);
    // Alice's other images may have changed identity (outcome events, her faces unnamed): none names her or that path.
    for (const body of subscriber.bodies.slice(before)) {
      expect(body).not.toContain('Alice');
      expect(body).not.toContain(path);
    }
    for (const event of received()) expect(validateEvent(event) ? [] : validateEvent.errors).toEqual([]);
    await until(() => webhook.requests.length === subscriber.bodies.length, 'their webhook deliveries');
    expect(webhook.requests.map((request) => request.body)).toEqual(subscriber.bodies);
    for (const request of webhook.requests.slice(before)) expect(verifyWebhookSignature(request.signature, request.body, SECRET)).toBe(true);
  });
});
