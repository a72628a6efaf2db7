import { INestMicroservice } from '@nestjs/common';
import { DeferMessageError, QueueServer } from '@visage/queue';
import { lastValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Behaviour, DriverHarness, InProcessHarness, NsqHarness, startConsumer } from './queue-harness';
import { sleep, until } from '../support/until';

/**
 * The delivery contract both drivers promise, written once: the same Nest handlers, the same outcomes.
 * NSQ runs through the real nsqjs against the protocol-faithful test nsqd.
 */
describe.each([
  { driver: 'nsq', makeHarness: (): DriverHarness => new NsqHarness() },
  { driver: 'in-process', makeHarness: (): DriverHarness => new InProcessHarness() },
])('queue transport, $driver driver', ({ makeHarness }) => {
  const harness = makeHarness();
  const apps: INestMicroservice[] = [];
  let topicSeq = 0;
  const freshTopic = () => `t-${harness.name}-${process.pid}-${(topicSeq += 1)}`;
  let client: ReturnType<DriverHarness['createClient']>;

  const consume = async (server: QueueServer, topic: string, behaviour: Behaviour, passErrorsThrough = true) => {
    const app = await startConsumer(server, topic, behaviour, passErrorsThrough);
    apps.push(app);
    if (harness.name === 'nsq') await until(() => server.isConnected(), 'nsqd connection');
    return app;
  };
  const emit = (topic: string, data: unknown) => lastValueFrom(client.emit(topic, data), { defaultValue: undefined });

  beforeAll(async () => {
    await harness.setup();
    client = harness.createClient();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(async () => {
    client.close();
    await harness.teardown();
  });

  it(`${harness.name}: hands the emitted JSON to the @EventPattern handler and finishes it when it resolves`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    await consume(harness.createServer({ topic }), topic, behaviour);
    await emit(topic, { imageId: 42 });
    await until(() => behaviour.received.length === 1, 'handled');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.received[0]).toMatchObject({ data: { imageId: 42 }, attempts: 1 });
    await sleep(200);
    expect(behaviour.received).toHaveLength(1);
  });

  it(`${harness.name}: hands a bare number or word body over as it is (seed publishers)`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    await consume(harness.createServer({ topic }), topic, behaviour);
    await harness.publishRaw(topic, '17');
    await harness.publishRaw(topic, 'abc');
    await until(() => behaviour.received.length === 2, 'handled');
    expect(behaviour.received.map((entry) => entry.data).sort()).toEqual([17, 'abc']);
  });

  it(`${harness.name}: requeues a failing message with a growing delay and counts its attempts`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = (_data, ctx) => {
      if (ctx.message.attempts < 3) throw new Error(`fail ${ctx.message.attempts}`);
    };
    await consume(harness.createServer({ topic, maxAttempts: 5, requeueBaseDelayMs: 100 }), topic, behaviour);
    await emit(topic, { imageId: 1 });
    await until(() => behaviour.received.length === 3, 'third attempt');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.received.map((entry) => entry.attempts)).toEqual([1, 2, 3]);
    expect(new Set(behaviour.received.map((entry) => entry.id)).size).toBe(1);
    // Lower bounds only: base 100 ms after attempt 1, 200 ms after attempt 2.
    const [first, second, third] = behaviour.received.map((entry) => entry.at);
    expect(second - first).toBeGreaterThanOrEqual(90);
    expect(third - second).toBeGreaterThanOrEqual(190);
    expect(behaviour.deadLetters).toEqual([]);
  });

  it(`${harness.name}: sends a message to the dead-letter handler after maxAttempts, with the error, and finishes it`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => {
      throw new Error('recognizer said no');
    };
    await consume(harness.createServer({ topic, maxAttempts: 3 }), topic, behaviour);
    await emit(topic, { imageId: 5 });
    await until(() => behaviour.deadLetters.length === 1, 'dead letter');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.deadLetters[0]).toEqual({ data: { imageId: 5 }, error: 'recognizer said no', attempts: 3 });
    expect(behaviour.received.map((entry) => entry.attempts)).toEqual([1, 2, 3]);
    await sleep(300);
    expect(behaviour.received).toHaveLength(3);
  });

  it(`${harness.name}: keeps a message whose dead-letter handler fails, and dead-letters it again later`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => {
      throw new Error('always');
    };
    let deadLetterFailures = 1;
    behaviour.onDeadLetter = () => {
      if (deadLetterFailures-- > 0) throw new Error('database down');
    };
    await consume(harness.createServer({ topic, maxAttempts: 1, requeueMaxDelayMs: 50 }), topic, behaviour);
    await emit(topic, { imageId: 6 });
    await until(() => behaviour.deadLetters.length === 2, 'second dead letter');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.received).toHaveLength(1);
    expect(behaviour.deadLetters[1].attempts).toBe(2);
  });

  it(`${harness.name}: never dead-letters a DeferMessageError however often, and does not count it as an attempt`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => {
      if (behaviour.received.length <= 6) throw new DeferMessageError(20, 'circuit open');
    };
    // Without QueueExceptionFilter: the deferral must survive Nest's default RPC exception filter.
    await consume(harness.createServer({ topic, maxAttempts: 2 }), topic, behaviour, false);
    await emit(topic, { imageId: 9 });
    await until(() => behaviour.received.length === 7, 'handled after deferrals');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.deadLetters).toEqual([]);
    expect(behaviour.received.map((entry) => entry.attempts)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(new Set(behaviour.received.map((entry) => entry.id)).size).toBe(1);
    expect(behaviour.received.every((entry) => JSON.stringify(entry.data) === '{"imageId":9}')).toBe(true);
  });

  it(`${harness.name}: counts real failures between deferrals toward maxAttempts`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => {
      const call = behaviour.received.length;
      throw call % 2 === 1 ? new DeferMessageError(10) : new Error(`failure on call ${call}`);
    };
    await consume(harness.createServer({ topic, maxAttempts: 3 }), topic, behaviour);
    await emit(topic, { imageId: 10 });
    await until(() => behaviour.deadLetters.length === 1, 'dead letter');
    // calls: defer, fail(1), defer, fail(2), defer, fail(3) -> dead letter at counted attempt 3.
    expect(behaviour.received.map((entry) => entry.attempts)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(behaviour.deadLetters[0]).toMatchObject({ attempts: 3, error: 'failure on call 6' });
  });

  it(`${harness.name}: finishes an undecodable body without calling the handler or redelivering it`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    await consume(harness.createServer({ topic }), topic, behaviour);
    await harness.publishRaw(topic, '{"imageId": 4');
    await harness.publishRaw(topic, '{"__visageQueueEnvelope": 3}');
    await emit(topic, { imageId: 4 });
    await until(() => behaviour.received.length === 1, 'valid one handled');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.received[0].data).toEqual({ imageId: 4 });
    expect(behaviour.deadLetters).toEqual([]);
  });

  it(`${harness.name}: pause() stops deliveries and resume() restarts them`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    const server = harness.createServer({ topic });
    await consume(server, topic, behaviour);
    server.pause();
    expect(server.isPaused()).toBe(true);
    for (let id = 1; id <= 3; id += 1) await emit(topic, { imageId: id });
    await sleep(400);
    expect(behaviour.received).toEqual([]);
    server.resume();
    await until(() => behaviour.received.length === 3, 'all handled after resume');
    await until(() => harness.isDrained(topic), 'finished');
  });

  it(`${harness.name}: paused before it listens, takes nothing already waiting until resumed, and counts no attempt`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    const server = harness.createServer({ topic });
    server.pause();
    for (let id = 1; id <= 3; id += 1) await emit(topic, { imageId: id });
    await consume(server, topic, behaviour);
    expect(server.isPaused()).toBe(true);
    await sleep(400);
    expect(behaviour.received).toEqual([]);
    server.resume();
    await until(() => behaviour.received.length === 3, 'all handled after resume');
    expect(behaviour.received.map((received) => received.attempts)).toEqual([1, 1, 1]);
    await until(() => harness.isDrained(topic), 'finished');
  });

  it(`${harness.name}: after resume, a first message that hangs does not hold back the others`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    behaviour.onMessage = (data) => ((data as { imageId: number }).imageId === 1 ? hanging : undefined);
    const server = harness.createServer({ topic, maxInFlight: 3 });
    server.pause();
    await consume(server, topic, behaviour);
    server.resume();
    await emit(topic, { imageId: 1 });
    await until(() => behaviour.running === 1, 'the first message to be running');
    for (let id = 2; id <= 3; id += 1) await emit(topic, { imageId: id });
    await until(() => behaviour.received.length === 3, 'the others handled while the first hangs');
    expect(behaviour.running).toBe(1);
    release();
    await until(() => harness.isDrained(topic), 'finished');
  });

  it(`${harness.name}: runs at most maxInFlight handlers at once`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    behaviour.onMessage = () => gate;
    await consume(harness.createServer({ topic, maxInFlight: 2 }), topic, behaviour);
    for (let id = 1; id <= 5; id += 1) await emit(topic, { imageId: id });
    await until(() => behaviour.running === 2, 'two running');
    await sleep(300);
    expect(behaviour.received).toHaveLength(2);
    release();
    await until(() => behaviour.received.length === 5, 'all handled');
    await until(() => harness.isDrained(topic), 'finished');
    expect(behaviour.maxRunning).toBe(2);
  });

  it(`${harness.name}: graceful close lets a running handler finish before closing`, async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    let finishedHandler = false;
    behaviour.onMessage = async () => {
      await sleep(300);
      finishedHandler = true;
    };
    const server = harness.createServer({ topic });
    const app = await consume(server, topic, behaviour);
    await emit(topic, { imageId: 1 });
    await until(() => behaviour.running === 1, 'running');
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(finishedHandler).toBe(true);
    await until(() => harness.isDrained(topic), 'finished');
    expect(server.isListening()).toBe(false);
  });

  it(`${harness.name}: graceful close requeues a handler that overruns closeTimeoutMs, and the next consumer gets it`, async () => {
    const topic = freshTopic();
    const stuck = new Behaviour();
    stuck.onMessage = () => new Promise(() => undefined);
    const app = await consume(harness.createServer({ topic, closeTimeoutMs: 200 }), topic, stuck);
    await emit(topic, { imageId: 77 });
    await until(() => stuck.running === 1, 'running');
    await app.close();
    apps.splice(apps.indexOf(app), 1);

    const next = new Behaviour();
    await consume(harness.createServer({ topic }), topic, next);
    await until(() => next.received.length === 1, 'redelivered');
    expect(next.received[0]).toMatchObject({ data: { imageId: 77 }, attempts: 2 });
    await until(() => harness.isDrained(topic), 'finished');
  });

  it(`${harness.name}: distributes one channel between two consumers, each message handled once`, async () => {
    const topic = freshTopic();
    const a = new Behaviour();
    const b = new Behaviour();
    a.onMessage = b.onMessage = () => sleep(5);
    await consume(harness.createServer({ topic, maxInFlight: 2 }), topic, a);
    await consume(harness.createServer({ topic, maxInFlight: 2 }), topic, b);
    for (let id = 1; id <= 20; id += 1) await emit(topic, { imageId: id });
    await until(() => a.received.length + b.received.length === 20, 'all handled');
    await until(() => harness.isDrained(topic), 'finished');
    const ids = [...a.received, ...b.received].map((entry) => (entry.data as { imageId: number }).imageId).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it(`${harness.name}: the client refuses request-response with a clear error`, async () => {
    await expect(lastValueFrom(client.send('anything', { a: 1 }))).rejects.toThrow(/events only/);
  });
});
