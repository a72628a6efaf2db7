import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { describeError } from '@visage/domain';

export interface NsqTopologyOptions {
  /** `host:port` of the nsqd HTTP API (4151 by default). */
  httpAddress: string;
  topic: string;
  channel: string;
  /** Per request. */
  requestTimeoutMs?: number;
}

/**
 * Creates the topic and the consumers' channel on an nsqd through its HTTP API (`POST /topic/create`,
 * `POST /channel/create`; both are no-ops when they exist). Without this a fresh nsqd has no topic until the
 * first publish, nsqlookupd lists no producer, and consumers that discover nsqd through lookupd never connect.
 */
export class NsqTopology {
  constructor(private readonly options: NsqTopologyOptions) {}

  async create(): Promise<void> {
    const { topic, channel } = this.options;
    await this.createTopic(topic);
    // The channel too: messages published before the first consumer subscribes wait in it.
    await this.post(`/channel/create?topic=${encodeURIComponent(topic)}&channel=${encodeURIComponent(channel)}`);
  }

  /** A topic without a channel: its consumers make their own channels; lookupd lists the topic from now on. */
  async createTopic(topic: string): Promise<void> {
    await this.post(`/topic/create?topic=${encodeURIComponent(topic)}`);
  }

  private async post(path: string): Promise<void> {
    const response = await fetch(`http://${this.options.httpAddress}${path}`, {
      method: 'POST',
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 2_000),
    });
    if (!response.ok) throw new Error(`nsqd ${this.options.httpAddress} ${path.split('?')[0]}: ${response.status} ${await response.text()}`);
  }
}

/** Retry delays while nsqd does not answer: doubling from the first, capped so a late nsqd is noticed within seconds. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 4_000;

/**
 * At start of every app that uses NSQ (receiver, processor): creates the topic and channel on the local nsqd, and
 * the outcome events' topic (so its consumers find it through lookupd before the first event),
 * before the consumer's first lookup. The first attempt is awaited; while nsqd does not answer, attempts go on
 * in the background with a capped backoff, so a stack started in any order becomes ready without a first image.
 */
@Injectable()
export class NsqTopologyBootstrap implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NsqTopology');
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly config: ConfigService) {}

  async onApplicationBootstrap(): Promise<void> {
    const queue = this.config.values.queue;
    if (queue.driver !== 'nsq' || !queue.publishHttpAddress) return;
    const topology = new NsqTopology({
      httpAddress: queue.publishHttpAddress,
      topic: this.config.get('QUEUE_TOPIC'),
      channel: this.config.get('QUEUE_CHANNEL'),
    });
    await this.attempt(topology, queue.publishHttpAddress, FIRST_RETRY_MS);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async attempt(topology: NsqTopology, address: string, nextDelayMs: number): Promise<void> {
    if (this.stopped) return;
    try {
      await topology.create();
      const outcomes = this.config.get('OUTCOME_EVENTS_TOPIC');
      if (outcomes) await topology.createTopic(outcomes);
      this.logger.log(
        `topic "${this.config.get('QUEUE_TOPIC')}" and channel "${this.config.get('QUEUE_CHANNEL')}"${outcomes ? `, and topic "${outcomes}",` : ''} exist on nsqd ${address}`,
      );
    } catch (error) {
      if (nextDelayMs === FIRST_RETRY_MS) this.logger.warn(`cannot create the topic on nsqd ${address} yet (${describeError(error)}); retrying`);
      this.timer = setTimeout(() => void this.attempt(topology, address, Math.min(nextDelayMs * 2, MAX_RETRY_MS)), nextDelayMs);
    }
  }
}
