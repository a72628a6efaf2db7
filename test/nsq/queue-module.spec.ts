import { INestApplication } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { ConfigModule, parseConfig } from '@visage/config';
import { HealthModule } from '@visage/health';
import { InProcessBroker, InProcessServer, NsqServer, QUEUE_CLIENT, QUEUE_CONSUMER, QueueModule, queueReadiness, QueueServer } from '@visage/queue';
import { lastValueFrom } from 'rxjs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NsqLookupdTestServer, NsqTestServer } from './nsq-test-server';
import { Behaviour, consumerController } from './queue-harness';
import { until } from '../support/until';

/** QueueModule wiring as an app uses it: config → client + consumer strategy + readiness check. */
describe('QueueModule', () => {
  let nsqd: NsqTestServer;
  const apps: INestApplication[] = [];

  async function boot(env: Record<string, string>, options: { broker?: InProcessBroker; consume: boolean }) {
    const config = parseConfig({ QUEUE_TOPIC: 'images', MAX_ATTEMPTS: '2', ...env });
    const behaviour = new Behaviour();
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), QueueModule.forRoot({ broker: options.broker }), HealthModule.forRoot(queueReadiness)],
      controllers: [consumerController('images', behaviour, true)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    // As the apps do: init (the NSQ topic and channel are created) before the consumer starts.
    if (options.consume) app.connectMicroservice({ strategy: app.get<QueueServer>(QUEUE_CONSUMER) });
    await app.init();
    if (options.consume) await app.startAllMicroservices();
    apps.push(app);
    return { app, behaviour, client: app.get<ClientProxy>(QUEUE_CLIENT), consumer: app.get<QueueServer>(QUEUE_CONSUMER) };
  }

  beforeAll(async () => {
    nsqd = await NsqTestServer.start();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    if (!nsqd.running) await nsqd.start();
  });
  afterAll(() => nsqd.stop());

  it('with NSQ config: the client publishes, the exported strategy consumes, /health/ready follows the connection', async () => {
    const { app, behaviour, client, consumer } = await boot(
      { NSQD_TCP_ADDRESS: nsqd.tcpAddress, NSQD_TCP_ADDRESSES: nsqd.tcpAddress },
      { consume: true },
    );
    expect(consumer).toBeInstanceOf(NsqServer);
    await until(() => consumer.isConnected(), 'connected');
    await lastValueFrom(client.emit('images', { imageId: 3 }), { defaultValue: undefined });
    await until(() => behaviour.received.length === 1, 'handled');
    expect(behaviour.received[0].data).toEqual({ imageId: 3 });

    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.info.queue).toMatchObject({ status: 'up', role: 'consumer', paused: false });
    await nsqd.stop();
    await until(() => !consumer.isConnected(), 'disconnected');
    const down = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(down.body.error.queue).toMatchObject({ status: 'down', reason: 'not connected to any nsqd' });
  });

  it('on a fresh nsqd holding no topic, a lookupd consumer becomes ready without a first message (topic and channel created at start)', async () => {
    const fresh = await NsqTestServer.start();
    const lookupd = await NsqLookupdTestServer.start([fresh]);
    try {
      expect(fresh.hasTopic('images')).toBe(false);
      const env = { NSQLOOKUPD_HTTP_ADDRESSES: lookupd.httpAddress, NSQD_TCP_ADDRESS: fresh.tcpAddress, NSQD_HTTP_ADDRESS: fresh.httpAddress };
      const { app, consumer } = await boot(env, { consume: true });
      await until(() => consumer.isConnected(), 'the consumer to find nsqd through lookupd');
      await until(() => fresh.channelStats('images', 'image-processor')?.clients.length === 1, 'the consumer to subscribe');
      expect(fresh.stats().find((topic) => topic.topic_name === 'images')?.message_count).toBe(0); // nothing was published
      await request(app.getHttpServer()).get('/health/ready').expect(200);
    } finally {
      await lookupd.stop();
      await fresh.stop();
    }
  });

  it('nsqd down at start: the topic and channel are created once it answers, and the consumer connects', async () => {
    const late = await NsqTestServer.start();
    const lookupd = await NsqLookupdTestServer.start([late]);
    await late.stop(); // keeps its ports; holds no topic
    try {
      const env = { NSQLOOKUPD_HTTP_ADDRESSES: lookupd.httpAddress, NSQD_TCP_ADDRESS: late.tcpAddress, NSQD_HTTP_ADDRESS: late.httpAddress };
      const { consumer } = await boot(env, { consume: true });
      expect(consumer.isConnected()).toBe(false);
      await late.start();
      await until(() => late.hasTopic('images'), 'the topic to be created', 20_000);
      await until(() => consumer.isConnected(), 'the consumer to connect', 20_000);
      await until(() => late.channelStats('images', 'image-processor')?.clients.length === 1, 'the consumer to subscribe');
    } finally {
      await lookupd.stop();
      await late.stop();
    }
  });

  it('in a publisher-only app, readiness checks that the local nsqd is reachable', async () => {
    const { app } = await boot({ NSQD_TCP_ADDRESS: nsqd.tcpAddress, NSQLOOKUPD_HTTP_ADDRESSES: '127.0.0.1:1' }, { consume: false });
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.info.queue).toMatchObject({ status: 'up', role: 'publisher' });
    await nsqd.stop();
    const down = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(down.body.error.queue).toMatchObject({ status: 'down', role: 'publisher' });
  });

  it('without NSQ addresses: the in-process driver carries events between the client and the consumer', async () => {
    const broker = new InProcessBroker();
    const { app, behaviour, client, consumer } = await boot({}, { broker, consume: true });
    expect(consumer).toBeInstanceOf(InProcessServer);
    await lastValueFrom(client.emit('images', { imageId: 8 }), { defaultValue: undefined });
    await until(() => behaviour.received.length === 1, 'handled');
    expect(behaviour.received[0].data).toEqual({ imageId: 8 });
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });

  it('the in-process driver defaults to one broker per process, shared by every module instance', async () => {
    const consumerSide = await boot({}, { consume: true });
    const publisherSide = await boot({}, { consume: false });
    await lastValueFrom(publisherSide.client.emit('images', { imageId: 11 }), { defaultValue: undefined });
    await until(() => consumerSide.behaviour.received.length === 1, 'handled across apps');
    expect((consumerSide.consumer as InProcessServer).broker).toBe(InProcessBroker.shared());
  });
});
