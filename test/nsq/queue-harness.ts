import { Controller, INestMicroservice, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  DeadLetter,
  deadLetterPattern,
  InProcessBroker,
  InProcessClient,
  InProcessServer,
  NsqClient,
  NsqServer,
  QueueContext,
  QueueExceptionFilter,
  QueueServer,
  QueueServerOptions,
} from '@visage/queue';
import { NsqLookupdTestServer, NsqTestServer } from './nsq-test-server';

export interface Received {
  data: unknown;
  id: string;
  attempts: number;
  at: number;
}

/** What a test wants its handler to do; records every call. */
export class Behaviour {
  readonly received: Received[] = [];
  readonly deadLetters: DeadLetter[] = [];
  running = 0;
  maxRunning = 0;
  onMessage: (data: unknown, ctx: QueueContext) => unknown = () => undefined;
  onDeadLetter: (letter: DeadLetter) => unknown = () => undefined;

  async handle(data: unknown, ctx: QueueContext): Promise<unknown> {
    this.received.push({ data, id: ctx.message.id, attempts: ctx.message.attempts, at: Date.now() });
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await this.onMessage(data, ctx);
    } finally {
      this.running -= 1;
    }
  }

  async dead(letter: DeadLetter): Promise<unknown> {
    this.deadLetters.push(letter);
    return this.onDeadLetter(letter);
  }
}

/** A Nest controller with plain `@EventPattern` handlers for `topic` and its dead letter, as apps write them. */
export function consumerController(topic: string, behaviour: Behaviour, passErrorsThrough: boolean) {
  @Controller()
  class QueueConsumerController {
    @EventPattern(topic)
    handle(@Payload() data: unknown, @Ctx() ctx: QueueContext) {
      return behaviour.handle(data, ctx);
    }

    @EventPattern(deadLetterPattern(topic))
    dead(@Payload() letter: DeadLetter) {
      return behaviour.dead(letter);
    }
  }
  if (passErrorsThrough) UseFilters(QueueExceptionFilter)(QueueConsumerController);
  return QueueConsumerController;
}

export async function startConsumer(server: QueueServer, topic: string, behaviour: Behaviour, passErrorsThrough = true): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({
    controllers: [consumerController(topic, behaviour, passErrorsThrough)],
  }).compile();
  const app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
  await app.listen();
  return app;
}

export type ServerOverrides = Partial<QueueServerOptions> & { topic: string };

/** One driver under test: how to build its server/client and how to look at its broker. */
export interface DriverHarness {
  readonly name: 'nsq' | 'in-process';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  createServer(options: ServerOverrides): QueueServer;
  createClient(): NsqClient | InProcessClient;
  /** Publishes a body as bytes, bypassing the client's JSON encoding. */
  publishRaw(topic: string, body: string): Promise<void>;
  /** Nothing ready, deferred or in flight for the topic's channel. */
  isDrained(topic: string): boolean;
}

export const CHANNEL = 'image-processor';

export function baseOptions(overrides: ServerOverrides): QueueServerOptions {
  return {
    channel: CHANNEL,
    maxInFlight: 4,
    maxAttempts: 3,
    messageTimeoutMs: 5_000,
    requeueBaseDelayMs: 50,
    requeueMaxDelayMs: 400,
    closeTimeoutMs: 5_000,
    ...overrides,
  };
}

export class NsqHarness implements DriverHarness {
  readonly name = 'nsq' as const;
  nsqd!: NsqTestServer;
  lookupd!: NsqLookupdTestServer;

  async setup(): Promise<void> {
    this.nsqd = await NsqTestServer.start();
    this.lookupd = await NsqLookupdTestServer.start([this.nsqd]);
  }

  async teardown(): Promise<void> {
    await this.lookupd.stop();
    await this.nsqd.stop();
  }

  createServer(options: ServerOverrides & { viaLookupd?: boolean }): QueueServer {
    const { viaLookupd, ...rest } = options;
    return new NsqServer({
      ...baseOptions(rest),
      ...(viaLookupd
        ? { lookupdHttpAddresses: [this.lookupd.httpAddress], publishAddress: this.nsqd.tcpAddress }
        : { nsqdTcpAddresses: [this.nsqd.tcpAddress] }),
      lookupdPollIntervalSec: 1,
      heartbeatIntervalSec: 1,
    });
  }

  createClient(): NsqClient {
    return new NsqClient({ address: this.nsqd.tcpAddress });
  }

  async publishRaw(topic: string, body: string): Promise<void> {
    const response = await fetch(`http://${this.nsqd.httpAddress}/pub?topic=${topic}`, { method: 'POST', body });
    if (!response.ok) throw new Error(`nsqd /pub answered ${response.status}`);
  }

  isDrained(topic: string): boolean {
    const stats = this.nsqd.channelStats(topic, CHANNEL);
    return !!stats && stats.depth === 0 && stats.in_flight_count === 0 && stats.deferred_count === 0;
  }
}

export class InProcessHarness implements DriverHarness {
  readonly name = 'in-process' as const;
  broker = new InProcessBroker();
  private readonly servers: InProcessServer[] = [];

  async setup(): Promise<void> {
    this.broker = new InProcessBroker();
  }

  async teardown(): Promise<void> {
    this.broker.reset();
  }

  createServer(options: ServerOverrides): QueueServer {
    const server = new InProcessServer({ ...baseOptions(options), broker: this.broker });
    this.servers.push(server);
    return server;
  }

  createClient(): InProcessClient {
    return new InProcessClient({ broker: this.broker });
  }

  async publishRaw(topic: string, body: string): Promise<void> {
    this.broker.publish(topic, body);
  }

  isDrained(topic: string): boolean {
    return this.broker.depth(topic, CHANNEL) === 0 && this.servers.every((server) => !server.isListening() || server.inFlightCount === 0);
  }
}
