import { INestMicroservice } from '@nestjs/common';
import { DeferMessageError, NsqClient, NsqServer } from '@visage/queue';
import { lastValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NsqLookupdTestServer, NsqTestServer } from './nsq-test-server';
import { baseOptions, Behaviour, CHANNEL, startConsumer } from './queue-harness';
import { sleep, until } from '../support/until';

/** NSQ-only behaviour: broker timeouts, TOUCH, restarts and lookupd discovery, through nsqjs and the test nsqd. */
describe('NSQ transport against the test nsqd', () => {
  let nsqd: NsqTestServer;
  let lookupd: NsqLookupdTestServer;
  let client: NsqClient;
  const apps: INestMicroservice[] = [];
  const extraServers: NsqTestServer[] = [];
  let topicSeq = 0;
  const freshTopic = () => `nsq-${process.pid}-${(topicSeq += 1)}`;
  const emit = (target: NsqClient, topic: string, data: unknown) => lastValueFrom(target.emit(topic, data), { defaultValue: undefined });
  const drained = (server: NsqTestServer, topic: string) => {
    const stats = server.channelStats(topic, CHANNEL);
    return !!stats && stats.depth === 0 && stats.in_flight_count === 0 && stats.deferred_count === 0;
  };
  const consume = async (server: NsqServer, topic: string, behaviour: Behaviour) => {
    const app = await startConsumer(server, topic, behaviour);
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    nsqd = await NsqTestServer.start();
    lookupd = await NsqLookupdTestServer.start([nsqd]);
    client = new NsqClient({ address: nsqd.tcpAddress });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const server of extraServers.splice(0)) await server.stop();
    if (!nsqd.running) await nsqd.start();
  });
  afterAll(async () => {
    client.close();
    await lookupd.stop();
    await nsqd.stop();
  });

  it('TOUCHes a slow handler so nsqd does not redeliver its message', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => sleep(2_500);
    const server = new NsqServer({ ...baseOptions({ topic, messageTimeoutMs: 1_000 }), nsqdTcpAddresses: [nsqd.tcpAddress] });
    await consume(server, topic, behaviour);
    await emit(client, topic, { imageId: 1 });
    await until(() => behaviour.received.length === 1 && drained(nsqd, topic), 'finished', 10_000);
    expect(nsqd.channelStats(topic, CHANNEL)).toMatchObject({ timeout_count: 0, requeue_count: 0 });
    expect(behaviour.received).toHaveLength(1);
  });

  it('gets a message redelivered (attempts + 1) when its handler hangs past what TOUCH may extend', async () => {
    // nsqd caps TOUCH at max_msg_timeout, so a hung handler's message is redelivered like a crashed consumer's.
    const strict = await NsqTestServer.start({ maxMsgTimeoutMs: 1_500 });
    extraServers.push(strict);
    const topic = freshTopic();
    const behaviour = new Behaviour();
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    behaviour.onMessage = (_data, ctx) => (ctx.message.attempts === 1 ? hung : undefined);
    const server = new NsqServer({
      ...baseOptions({ topic, messageTimeoutMs: 1_000, maxInFlight: 2 }),
      nsqdTcpAddresses: [strict.tcpAddress],
    });
    await consume(server, topic, behaviour);
    const strictClient = new NsqClient({ address: strict.tcpAddress });
    await emit(strictClient, topic, { imageId: 2 });
    await until(() => behaviour.received.length === 2, 'redelivery', 10_000);
    expect(behaviour.received.map((entry) => entry.attempts)).toEqual([1, 2]);
    expect(behaviour.received[0].id).toBe(behaviour.received[1].id);
    await until(() => drained(strict, topic), 'second delivery finished');
    expect(strict.channelStats(topic, CHANNEL)?.timeout_count).toBe(1);
    release();
    strictClient.close();
  });

  it('reconnects after nsqd restarts and loses neither the unfinished message nor later ones', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    const hung = new Promise<void>(() => undefined);
    behaviour.onMessage = (data, ctx) => ((data as { imageId: number }).imageId === 100 && ctx.message.attempts === 1 ? hung : undefined);
    const server = new NsqServer({
      ...baseOptions({ topic }),
      nsqdTcpAddresses: [nsqd.tcpAddress],
      lookupdPollIntervalSec: 1,
    });
    await consume(server, topic, behaviour);
    await emit(client, topic, { imageId: 1 });
    await emit(client, topic, { imageId: 100 });
    await until(() => behaviour.received.length === 2, 'both delivered');

    await nsqd.stop();
    await until(() => !server.isConnected(), 'consumer noticed');
    await expect(emit(client, topic, { imageId: 3 })).rejects.toThrow();
    await nsqd.start();
    await until(() => server.isConnected(), 'consumer reconnected', 10_000);
    await emit(client, topic, { imageId: 2 });
    await emit(client, topic, { imageId: 3 });

    await until(
      () => behaviour.received.filter((entry) => entry.attempts > 1 || (entry.data as { imageId: number }).imageId !== 100).length === 4,
      'all handled',
      15_000,
    );
    await until(() => drained(nsqd, topic), 'finished');
    const ids = behaviour.received.map((entry) => (entry.data as { imageId: number }).imageId);
    expect(ids.sort((a, b) => a - b)).toEqual([1, 2, 3, 100, 100]);
    expect(behaviour.received.find((entry) => (entry.data as { imageId: number }).imageId === 100 && entry.attempts === 2)).toBeDefined();
  });

  it('discovers nsqd through nsqlookupd, and again after nsqd restarts', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    const server = new NsqServer({
      ...baseOptions({ topic }),
      lookupdHttpAddresses: [lookupd.httpAddress],
      publishAddress: nsqd.tcpAddress,
      lookupdPollIntervalSec: 1,
    });
    await consume(server, topic, behaviour);
    expect(server.isConnected()).toBe(false);
    // The topic exists on nsqd once something is published; lookupd then lists it.
    await emit(client, topic, { imageId: 1 });
    await until(() => behaviour.received.length === 1, 'discovered and handled', 10_000);
    expect(server.isConnected()).toBe(true);

    await nsqd.restart();
    // The restarted nsqd has no subscribers until the consumer found it through lookupd again.
    await until(() => (nsqd.channelStats(topic, CHANNEL)?.clients.length ?? 0) > 0, 'rediscovered', 20_000);
    await emit(client, topic, { imageId: 2 });
    await until(() => behaviour.received.length === 2, 'handled after restart', 10_000);
  });

  it('re-publishes a deferred message with DPUB inside an envelope, and still does not count deferrals when the publisher is unreachable', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => {
      if (behaviour.received.length <= 3) throw new DeferMessageError(30);
    };
    const server = new NsqServer({ ...baseOptions({ topic, maxAttempts: 2 }), nsqdTcpAddresses: [nsqd.tcpAddress] });
    await consume(server, topic, behaviour);
    await emit(client, topic, { imageId: 5 });
    await until(() => behaviour.received.length === 4 && drained(nsqd, topic), 'handled');
    // 1 publish + 3 deferred copies, none requeued: the deferrals went through DPUB.
    expect(nsqd.channelStats(topic, CHANNEL)).toMatchObject({ message_count: 4, requeue_count: 0 });
    expect(behaviour.deadLetters).toEqual([]);

    const fallbackTopic = freshTopic();
    const fallback = new Behaviour();
    fallback.onMessage = () => {
      if (fallback.received.length <= 3) throw new DeferMessageError(30);
    };
    const unreachable = new NsqServer({
      ...baseOptions({ topic: fallbackTopic, maxAttempts: 2 }),
      nsqdTcpAddresses: [nsqd.tcpAddress],
      publishAddress: '127.0.0.1:1',
    });
    await consume(unreachable, fallbackTopic, fallback);
    await emit(client, fallbackTopic, { imageId: 6 });
    await until(() => fallback.received.length === 4 && drained(nsqd, fallbackTopic), 'handled via REQ fallback', 20_000);
    expect(fallback.received.map((entry) => entry.attempts)).toEqual([1, 1, 1, 1]);
    expect(nsqd.channelStats(fallbackTopic, CHANNEL)?.requeue_count).toBe(3);
    expect(fallback.deadLetters).toEqual([]);
  });

  it('stays paused (RDY 0) across an nsqd restart until resume()', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    const server = new NsqServer({ ...baseOptions({ topic }), nsqdTcpAddresses: [nsqd.tcpAddress], lookupdPollIntervalSec: 1 });
    await consume(server, topic, behaviour);
    await until(() => server.isConnected(), 'connected');
    server.pause();
    await nsqd.restart();
    await until(() => (nsqd.channelStats(topic, CHANNEL)?.clients.length ?? 0) > 0, 'resubscribed', 10_000);
    await emit(client, topic, { imageId: 1 });
    await sleep(500);
    expect(behaviour.received).toEqual([]);
    expect(nsqd.channelStats(topic, CHANNEL)?.clients[0].ready_count).toBe(0);
    server.resume();
    await until(() => behaviour.received.length === 1, 'handled after resume');
  });

  it('survives a handler that finishes after its nsqd connection is gone, and gets the message again', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    behaviour.onMessage = (_data, ctx) => (ctx.message.attempts === 1 ? slow : undefined);
    const server = new NsqServer({ ...baseOptions({ topic }), nsqdTcpAddresses: [nsqd.tcpAddress], lookupdPollIntervalSec: 1 });
    await consume(server, topic, behaviour);
    await emit(client, topic, { imageId: 1 });
    await until(() => behaviour.running === 1, 'running');
    await nsqd.stop();
    await until(() => !server.isConnected(), 'consumer noticed');
    release();
    await sleep(200);
    await nsqd.start();
    await until(() => behaviour.received.length === 2, 'redelivered after restart', 10_000);
    expect(behaviour.received[1].attempts).toBe(2);
    await until(() => drained(nsqd, topic), 'finished');
  });

  it('graceful close sends RDY 0 first: nothing new is delivered while a running handler finishes', async () => {
    const topic = freshTopic();
    const behaviour = new Behaviour();
    behaviour.onMessage = () => sleep(400);
    const server = new NsqServer({ ...baseOptions({ topic, maxInFlight: 1 }), nsqdTcpAddresses: [nsqd.tcpAddress] });
    const app = await consume(server, topic, behaviour);
    await until(() => server.isConnected(), 'connected');
    await emit(client, topic, { imageId: 1 });
    await until(() => behaviour.running === 1, 'running');
    await emit(client, topic, { imageId: 2 });
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(behaviour.received).toHaveLength(1);
    await until(() => nsqd.channelStats(topic, CHANNEL)?.depth === 1, 'second message waits in nsqd');
    expect(nsqd.channelStats(topic, CHANNEL)?.in_flight_count).toBe(0);
  });
});
