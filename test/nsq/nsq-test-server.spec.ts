import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeMpubBody } from './nsq-protocol';
import { NsqLookupdTestServer, NsqTestServer } from './nsq-test-server';
import { RawNsqClient } from './raw-nsq-client';
import { sleep, until } from '../support/until';

/** Conformance of the test nsqd with the TCP protocol V2 spec, checked over bare sockets (no nsqjs). */
describe('NSQ test server (protocol conformance over raw sockets)', () => {
  let nsqd: NsqTestServer;
  let lookupd: NsqLookupdTestServer;
  const clients: RawNsqClient[] = [];
  let topicSeq = 0;
  const freshTopic = () => `conf-${process.pid}-${(topicSeq += 1)}`;
  const open = async () => {
    const client = await RawNsqClient.connect(nsqd.tcpAddress);
    clients.push(client);
    return client;
  };
  const publish = async (topic: string, body: string) => {
    const producer = await open();
    producer.send(`PUB ${topic}`, body);
    expect(await producer.response()).toBe('OK');
  };

  beforeAll(async () => {
    nsqd = await NsqTestServer.start({ maxRdyCount: 100 });
    lookupd = await NsqLookupdTestServer.start([nsqd]);
  });
  afterEach(() => {
    clients.splice(0).forEach((client) => client.close());
  });
  afterAll(async () => {
    await lookupd.stop();
    await nsqd.stop();
  });

  it('answers a bad protocol magic with E_BAD_PROTOCOL and closes', async () => {
    const client = await RawNsqClient.connect(nsqd.tcpAddress, '  V1');
    clients.push(client);
    expect(await client.error()).toMatch(/^E_BAD_PROTOCOL/);
    await until(() => client.closed, 'close');
  });

  it('IDENTIFY negotiates features as JSON, answers OK without negotiation, refuses an invalid msg_timeout', async () => {
    const negotiating = await open();
    negotiating.identify({ feature_negotiation: true, msg_timeout: 5000, heartbeat_interval: 2000 });
    const response = JSON.parse(await negotiating.response());
    expect(response).toMatchObject({ max_rdy_count: 100, msg_timeout: 5000, tls_v1: false, snappy: false, deflate: false });
    expect(typeof response.max_msg_timeout).toBe('number');

    const plain = await open();
    plain.identify({ client_id: 'plain' });
    expect(await plain.response()).toBe('OK');

    const bad = await open();
    bad.identify({ feature_negotiation: true, msg_timeout: 500 });
    expect(await bad.error()).toMatch(/^E_BAD_BODY IDENTIFY msg timeout/);
    await until(() => bad.closed, 'close after fatal error');
  });

  it('PUB, MPUB and DPUB reach a subscriber as message frames (timestamp, attempts, 16-byte id, body)', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c');
    const producer = await open();
    const before = BigInt(Date.now() - 1000) * 1_000_000n;
    producer.send(`PUB ${topic}`, '{"imageId":1}');
    expect(await producer.response()).toBe('OK');
    producer.send(`MPUB ${topic}`, encodeMpubBody(['m1', 'm2', 'm3']));
    expect(await producer.response()).toBe('OK');
    producer.send(`DPUB ${topic} 300`, 'deferred');
    expect(await producer.response()).toBe('OK');
    expect(nsqd.channelStats(topic, 'c')).toMatchObject({ depth: 4, deferred_count: 1 });

    consumer.send('RDY 10');
    const first = await consumer.message();
    expect(first.body.toString()).toBe('{"imageId":1}');
    expect(first.attempts).toBe(1);
    expect(first.id).toMatch(/^[0-9a-f]{16}$/);
    expect(first.timestampNs > before).toBe(true);
    const bodies = [first.body.toString()];
    for (let i = 0; i < 4; i += 1) bodies.push((await consumer.message()).body.toString());
    expect(bodies).toEqual(['{"imageId":1}', 'm1', 'm2', 'm3', 'deferred']);
  });

  it('refuses bad topics, empty bodies and malformed MPUB with fatal errors', async () => {
    const a = await open();
    a.send('PUB bad/topic', 'x');
    expect(await a.error()).toMatch(/^E_BAD_TOPIC/);
    await until(() => a.closed, 'close');
    const b = await open();
    b.send(`MPUB ${freshTopic()}`, Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 65]));
    expect(await b.error()).toMatch(/^E_BAD_BODY/);
    const c = await open();
    c.send('RDY 1');
    expect(await c.error()).toMatch(/^E_INVALID cannot RDY/);
  });

  it('never has more messages in flight on a connection than its RDY count', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c');
    for (let i = 0; i < 5; i += 1) await publish(topic, `m${i}`);
    consumer.send('RDY 2');
    const one = await consumer.message();
    await consumer.message();
    // The other three are ready but held back by RDY 2.
    await until(() => nsqd.channelStats(topic, 'c')?.depth === 3, 'stats');
    expect(nsqd.channelStats(topic, 'c')).toMatchObject({ in_flight_count: 2, depth: 3 });
    expect(consumer.messagesReceived()).toBe(0);
    consumer.send(`FIN ${one.id}`);
    const third = await consumer.message();
    expect(third.body.toString()).toBe('m2');
    expect(nsqd.channelStats(topic, 'c')).toMatchObject({ in_flight_count: 2, depth: 2 });

    consumer.send('RDY 101');
    expect(await consumer.error()).toMatch(/^E_INVALID RDY count 101 out of range/);
  });

  it('REQ with a delay defers the message and redelivers it with attempts + 1; unknown ids get E_FIN_FAILED', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c');
    await publish(topic, 'retry-me');
    consumer.send('RDY 1');
    const first = await consumer.message();
    consumer.send(`REQ ${first.id} 300`);
    await until(() => nsqd.channelStats(topic, 'c')?.deferred_count === 1, 'deferred');
    const second = await consumer.message();
    expect(second).toMatchObject({ id: first.id, attempts: 2 });
    expect(nsqd.channelStats(topic, 'c')?.requeue_count).toBe(1);

    consumer.send('FIN 0000000000000000');
    expect(await consumer.error()).toMatch(/^E_FIN_FAILED/);
    // Non-fatal: the connection still works.
    consumer.send(`FIN ${second.id}`);
    await until(() => nsqd.channelStats(topic, 'c')?.in_flight_count === 0, 'finished');
    expect(consumer.closed).toBe(false);
  });

  it('redelivers a message that is not answered within msg_timeout, with attempts + 1', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c', { msg_timeout: 1000 });
    await publish(topic, 'slow');
    consumer.send('RDY 1');
    const first = await consumer.message();
    const again = await consumer.message(5000);
    expect(again).toMatchObject({ id: first.id, attempts: 2 });
    expect(nsqd.channelStats(topic, 'c')?.timeout_count).toBe(1);
  });

  it('TOUCH keeps a message in flight past msg_timeout', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c', { msg_timeout: 1000 });
    await publish(topic, 'touched');
    consumer.send('RDY 1');
    const message = await consumer.message();
    const startedAt = Date.now();
    while (Date.now() - startedAt < 2500) {
      consumer.send(`TOUCH ${message.id}`);
      await sleep(300);
    }
    consumer.send(`FIN ${message.id}`);
    await until(() => nsqd.channelStats(topic, 'c')?.in_flight_count === 0, 'finished');
    expect(nsqd.channelStats(topic, 'c')?.timeout_count).toBe(0);
    expect(consumer.messagesReceived()).toBe(0);
    expect(consumer.frames.filter((frame) => frame.type === 1)).toEqual([]);
  });

  it('sends heartbeats at the negotiated interval and drops a client that misses two', async () => {
    const answering = await open();
    answering.identify({ feature_negotiation: true, heartbeat_interval: 1000 });
    await answering.response();
    const silent = await open();
    silent.answerHeartbeats = false;
    silent.identify({ feature_negotiation: true, heartbeat_interval: 1000 });
    await silent.response();
    await until(() => silent.closed, 'silent client dropped', 6000);
    expect(silent.heartbeats).toBeGreaterThanOrEqual(1);
    expect(answering.heartbeats).toBeGreaterThanOrEqual(1);
    expect(answering.closed).toBe(false);
  });

  it('copies each message to every channel and shares a channel among its consumers', async () => {
    const topic = freshTopic();
    const a1 = await open();
    await a1.subscribe(topic, 'a');
    const a2 = await open();
    await a2.subscribe(topic, 'a');
    const b = await open();
    await b.subscribe(topic, 'b');
    for (const client of [a1, a2, b]) client.send('RDY 10');
    for (let i = 0; i < 6; i += 1) await publish(topic, `m${i}`);
    await until(() => b.messagesReceived() === 6, 'channel b got all');
    await until(() => a1.messagesReceived() + a2.messagesReceived() === 6, 'channel a got all');
    expect(a1.messagesReceived()).toBeGreaterThan(0);
    expect(a2.messagesReceived()).toBeGreaterThan(0);
  });

  it('CLS answers CLOSE_WAIT and stops deliveries to that client', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c');
    consumer.send('RDY 5');
    consumer.send('CLS');
    expect(await consumer.response()).toBe('CLOSE_WAIT');
    await publish(topic, 'after-cls');
    await until(() => nsqd.channelStats(topic, 'c')?.depth === 1, 'message stays ready');
    expect(consumer.messagesReceived()).toBe(0);
  });

  it('serves /ping, /pub, /mpub, /stats and lookupd /lookup over HTTP', async () => {
    const topic = freshTopic();
    expect(await (await fetch(`http://${nsqd.httpAddress}/ping`)).text()).toBe('OK');
    const pub = await fetch(`http://${nsqd.httpAddress}/pub?topic=${topic}`, { method: 'POST', body: '{"imageId":7}' });
    expect(await pub.text()).toBe('OK');
    const mpub = await fetch(`http://${nsqd.httpAddress}/mpub?topic=${topic}`, { method: 'POST', body: 'a\nb\n' });
    expect(mpub.status).toBe(200);
    const empty = await fetch(`http://${nsqd.httpAddress}/pub?topic=${topic}`, { method: 'POST', body: '' });
    expect(empty.status).toBe(400);
    const stats = (await (await fetch(`http://${nsqd.httpAddress}/stats?format=json`)).json()) as {
      topics: Array<{ topic_name: string; depth: number; message_count: number }>;
    };
    expect(stats.topics.find((entry) => entry.topic_name === topic)).toMatchObject({ depth: 3, message_count: 3 });

    const found = await fetch(`http://${lookupd.httpAddress}/lookup?topic=${topic}`);
    const body = (await found.json()) as { producers: Array<{ broadcast_address: string; tcp_port: number }> };
    expect(body.producers).toEqual([expect.objectContaining({ broadcast_address: '127.0.0.1', tcp_port: Number(nsqd.tcpAddress.split(':')[1]) })]);
    expect((await fetch(`http://${lookupd.httpAddress}/lookup?topic=nope-${topic}`)).status).toBe(404);
    expect(await (await fetch(`http://${lookupd.httpAddress}/ping`)).text()).toBe('OK');
  });

  it('creates topics and channels over HTTP (/topic/create, /channel/create) as nsqd does, and lookupd lists them', async () => {
    const topic = freshTopic();
    const post = (path: string) => fetch(`http://${nsqd.httpAddress}${path}`, { method: 'POST' });
    expect((await fetch(`http://${lookupd.httpAddress}/lookup?topic=${topic}`)).status).toBe(404);
    expect((await fetch(`http://${nsqd.httpAddress}/topic/create?topic=${topic}`)).status).toBe(405); // POST only
    expect((await post('/topic/create')).status).toBe(400);
    expect(await (await post('/topic/create?topic=bad*name')).json()).toEqual({ message: 'INVALID_TOPIC' });
    expect(await (await post(`/channel/create?topic=${topic}`)).json()).toEqual({ message: 'MISSING_ARG_CHANNEL' });
    expect(await (await post(`/channel/create?topic=${topic}&channel=bad*name`)).json()).toEqual({ message: 'INVALID_ARG_CHANNEL' });

    expect((await post(`/topic/create?topic=${topic}`)).status).toBe(200);
    expect((await post(`/topic/create?topic=${topic}`)).status).toBe(200); // idempotent
    expect((await fetch(`http://${lookupd.httpAddress}/lookup?topic=${topic}`)).status).toBe(200);
    await publish(topic, 'kept-in-topic'); // no channel yet: the topic keeps it
    expect(nsqd.channelStats(topic, 'c')).toBeUndefined();

    const otherTopic = freshTopic();
    expect((await post(`/channel/create?topic=${otherTopic}&channel=c`)).status).toBe(200); // creates the topic too
    expect(nsqd.channelStats(otherTopic, 'c')).toMatchObject({ depth: 0, clients: [] });
    expect((await post(`/channel/create?topic=${topic}&channel=c`)).status).toBe(200);
    expect(nsqd.channelStats(topic, 'c')).toMatchObject({ depth: 1, message_count: 1 }); // the waiting message moved in
  });

  it('keeps unfinished messages across a restart on the same ports', async () => {
    const topic = freshTopic();
    const consumer = await open();
    await consumer.subscribe(topic, 'c');
    await publish(topic, 'survivor');
    await publish(topic, 'waiting');
    consumer.send('RDY 1');
    const inFlight = await consumer.message();
    const address = nsqd.tcpAddress;
    await nsqd.restart();
    expect(nsqd.tcpAddress).toBe(address);
    await until(() => consumer.closed, 'old connection dropped');
    const again = await open();
    await again.subscribe(topic, 'c');
    again.send('RDY 5');
    const first = await again.message();
    const second = await again.message();
    expect([first.body.toString(), second.body.toString()]).toEqual(['survivor', 'waiting']);
    expect(first).toMatchObject({ id: inFlight.id, attempts: 2 });
  });
});
