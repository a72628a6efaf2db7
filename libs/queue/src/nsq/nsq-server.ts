import { Message, Reader } from 'nsqjs';
import { describeError } from '@visage/domain';
import { Delivery } from '../delivery/message-dispatcher';
import { decodeBody, encodeEnvelope } from '../delivery/message-codec';
import { QueueServer, QueueServerOptions } from '../queue-server';
import { QueueMessageInfo } from '../queue.types';
import { NsqPublisher } from './nsq-publisher';

export interface NsqServerOptions extends QueueServerOptions {
  /** nsqlookupd HTTP addresses (`host:port`); the consumer connects to every nsqd they list for the topic. */
  lookupdHttpAddresses?: string[];
  /** nsqd TCP addresses to consume from directly (instead of, or besides, lookupd). */
  nsqdTcpAddresses?: string[];
  /**
   * The local nsqd (`host:port`) that deferred messages are re-published to; defaults to the first of
   * nsqdTcpAddresses. Without one, a deferral falls back to REQ and is only discounted on this consumer.
   */
  publishAddress?: string;
  /** Seconds between lookupd polls and direct reconnection attempts (nsqjs: lookupdPollInterval, min 1). */
  lookupdPollIntervalSec?: number;
  heartbeatIntervalSec?: number;
  clientId?: string;
}

/**
 * Nest server strategy consuming one NSQ topic/channel through nsqjs. Handlers are `@EventPattern(topic)` methods
 * receiving `(data, ctx: QueueContext)`; the outcome rules are the shared ones in delivery-policy.ts.
 */
export class NsqServer extends QueueServer {
  private reader?: Reader;
  private readonly publisher?: NsqPublisher;
  private readonly connections = new Set<string>();
  /** Deferrals that fell back to REQ (no publisher reachable): NSQ counted them, so subtract them here. */
  private readonly uncountedDeliveries = new Map<string, number>();
  private paused = false;
  private closing = false;

  constructor(private readonly nsqOptions: NsqServerOptions) {
    super(nsqOptions);
    const lookupd = nsqOptions.lookupdHttpAddresses ?? [];
    const direct = nsqOptions.nsqdTcpAddresses ?? [];
    if (lookupd.length === 0 && direct.length === 0) {
      throw new RangeError('NsqServer needs lookupdHttpAddresses or nsqdTcpAddresses');
    }
    const publishAddress = nsqOptions.publishAddress ?? direct[0];
    if (publishAddress) this.publisher = new NsqPublisher({ address: publishAddress });
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    const { topic, channel, maxInFlight, messageTimeoutMs } = this.options;
    const reader = new Reader(topic, channel, {
      lookupdHTTPAddresses: this.nsqOptions.lookupdHttpAddresses ?? [],
      nsqdTCPAddresses: this.nsqOptions.nsqdTcpAddresses ?? [],
      // 2 s rather than nsqjs' 10: a restarted nsqd is reconnected within seconds (the poll is one small HTTP GET).
      lookupdPollInterval: this.nsqOptions.lookupdPollIntervalSec ?? 2,
      heartbeatInterval: this.nsqOptions.heartbeatIntervalSec ?? 30,
      maxInFlight,
      messageTimeout: messageTimeoutMs,
      // Attempts and the dead letter are decided by the transport (deferrals must not count), not by nsqjs.
      maxAttempts: 0,
      requeueDelay: this.options.requeueBaseDelayMs,
      ...(this.nsqOptions.clientId ? { clientId: this.nsqOptions.clientId } : {}),
    });
    reader.on('message', (message) => this.onMessage(message));
    reader.on('error', (error) => {
      this.logger.warn?.(`nsq ${topic}/${channel}: ${error.message}`);
      this.emitEvent('error', error);
    });
    reader.on('nsqd_connected', (host, port) => {
      this.connections.add(`${host}:${port}`);
      // nsqjs forgets a pause when its last connection drops; a paused consumer must stay at RDY 0.
      if (this.paused && !reader.isPaused()) reader.pause();
      this.logger.log(`nsq ${topic}/${channel}: connected to nsqd ${host}:${port}`);
      this.setStatus(this.paused ? 'paused' : 'connected');
      this.emitEvent('nsqd_connected', host, port);
    });
    reader.on('nsqd_closed', (host, port) => {
      this.connections.delete(`${host}:${port}`);
      if (this.paused && !reader.isPaused()) reader.pause();
      if (!this.closing) this.logger.warn?.(`nsq ${topic}/${channel}: lost nsqd ${host}:${port}; nsqjs reconnects`);
      if (this.connections.size === 0) this.setStatus('disconnected');
      this.emitEvent('nsqd_closed', host, port);
    });
    this.reader = reader;
    reader.connect();
    callback();
  }

  /** RDY 0 on every connection: nsqd stops sending; messages already in flight still finish. */
  pause(): void {
    this.paused = true;
    this.reader?.pause();
    this.setStatus('paused');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.closing) return;
    this.reader?.unpause();
    // nsqjs resumes in TRY_ONE (RDY 1 until a message succeeds), so one slow first message would hold back
    // every other. Whoever resumes has already decided the work can go on (the breaker's health probe, the
    // start-up gating): take full RDY at once.
    if (this.reader?.readerRdy.current_state_name === 'TRY_ONE') this.reader.readerRdy.goto('MAX');
    this.setStatus(this.connections.size > 0 ? 'connected' : 'disconnected');
  }

  isPaused(): boolean {
    return this.paused;
  }

  isListening(): boolean {
    return this.reader !== undefined && !this.closing;
  }

  isConnected(): boolean {
    return this.connections.size > 0;
  }

  /** Stop taking (RDY 0), let running handlers finish up to closeTimeoutMs, requeue the rest, then close. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.reader?.pause();
    await this.drain();
    // nsqjs writes FIN/REQ on the next tick; let them reach the socket before CLS.
    await new Promise((resolve) => setImmediate(resolve));
    this.reader?.close();
    this.publisher?.close();
    this.connections.clear();
    this.setStatus('closed');
  }

  unwrap<T>(): T {
    if (!this.reader) throw new Error('NsqServer is not listening yet; call listen() first');
    return this.reader as T;
  }

  private onMessage(message: Message): void {
    if (this.closing) {
      message.requeue(0, false);
      return;
    }
    const body = decodeBody(message.body);
    const envelope = body.ok ? body.envelope : undefined;
    const uncounted = this.uncountedDeliveries.get(message.id) ?? 0;
    const info: QueueMessageInfo = {
      id: envelope?.id ?? message.id,
      topic: this.options.topic,
      channel: this.options.channel,
      attempts: Math.max(1, (envelope?.priorAttempts ?? 0) + message.attempts - uncounted),
      timestamp: envelope?.timestamp ?? Number(message.timestamp / 1_000_000n),
    };
    const settle = () => this.uncountedDeliveries.delete(message.id);
    // Entries of messages that went on to another consumer are never settled here; keep the map bounded.
    if (this.uncountedDeliveries.size > 10_000) {
      const oldest = this.uncountedDeliveries.keys().next().value;
      if (oldest !== undefined) this.uncountedDeliveries.delete(oldest);
    }
    const delivery: Delivery = {
      info,
      body,
      timeoutMs: message.msgTimeout,
      finish: () => {
        settle();
        message.finish();
      },
      // No nsqjs backoff: the delay is per message; a sick dependency is the circuit breaker's business.
      requeue: (delayMs) => message.requeue(Math.round(delayMs), false),
      touch: () => message.touch(),
      defer: async (delayMs) => {
        if (!body.ok) return;
        const header = {
          id: info.id,
          priorAttempts: info.attempts - 1,
          timestamp: info.timestamp,
          deferrals: (envelope?.deferrals ?? 0) + 1,
        };
        try {
          if (!this.publisher) throw new Error('no nsqd to publish to');
          // Publish the copy first and FIN only once nsqd has it: a crash in between duplicates, never loses.
          await this.publisher.deferPublish(this.options.topic, encodeEnvelope(header, body.data), delayMs);
          settle();
          message.finish();
        } catch (error) {
          this.logger.warn?.(`${info.topic}: deferral re-publish failed (${describeError(error)}); requeueing message ${message.id} instead`);
          this.uncountedDeliveries.set(message.id, uncounted + 1);
          message.requeue(Math.round(delayMs), false);
        }
      },
    };
    // Not awaited: the next message is taken while this one runs (close() drains them); deliver never rejects.
    void this.deliver(delivery);
  }
}
