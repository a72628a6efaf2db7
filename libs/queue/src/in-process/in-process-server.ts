import { Delivery } from '../delivery/message-dispatcher';
import { decodeBody } from '../delivery/message-codec';
import { QueueServer, QueueServerOptions } from '../queue-server';
import { BrokerChannel, BrokerMessage, BrokerSubscriber, InProcessBroker } from './in-process-broker';

export interface InProcessServerOptions extends QueueServerOptions {
  /** Defaults to the process-wide {@link InProcessBroker.shared} broker. */
  broker?: InProcessBroker;
}

/**
 * Embedded-mode strategy with the NSQ driver's semantics (shared outcome rules): maxInFlight concurrency, counted
 * attempts with growing requeue delay, uncounted deferrals, dead letter, pause/resume and graceful close.
 * There is no broker-side redelivery timeout in one process, so TOUCH is a no-op.
 */
export class InProcessServer extends QueueServer implements BrokerSubscriber {
  readonly broker: InProcessBroker;
  private channel?: BrokerChannel;
  private detach?: () => void;
  /** Messages handed to this server and not yet answered (the in-process in-flight count). */
  private active = 0;
  private paused = false;
  private closing = false;

  constructor(options: InProcessServerOptions) {
    super(options);
    this.broker = options.broker ?? InProcessBroker.shared();
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.closing = false;
    this.channel = this.broker.channel(this.options.topic, this.options.channel);
    this.detach = this.channel.attach(this);
    this.setStatus(this.paused ? 'paused' : 'connected');
    callback();
  }

  hasCapacity(): boolean {
    return !this.paused && !this.closing && this.active < this.options.maxInFlight;
  }

  receive(message: BrokerMessage, channel: BrokerChannel): void {
    this.active += 1;
    const answered = (delayMs?: number) => {
      this.active -= 1;
      if (delayMs !== undefined) channel.put(message, delayMs);
      channel.pump();
    };
    const delivery: Delivery = {
      info: {
        id: message.id,
        topic: this.options.topic,
        channel: this.options.channel,
        attempts: message.deliveries - message.deferrals,
        timestamp: message.timestamp,
      },
      body: decodeBody(message.body),
      timeoutMs: 0,
      finish: () => answered(),
      requeue: (delayMs) => answered(delayMs),
      defer: async (delayMs) => {
        message.deferrals += 1;
        answered(delayMs);
      },
      touch: () => undefined,
    };
    // Not awaited: the next message is taken while this one runs (close() drains them); deliver never rejects.
    void this.deliver(delivery);
  }

  pause(): void {
    this.paused = true;
    this.setStatus('paused');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.setStatus('connected');
    this.channel?.pump();
  }

  isPaused(): boolean {
    return this.paused;
  }

  isListening(): boolean {
    return this.channel !== undefined && !this.closing;
  }

  isConnected(): boolean {
    return this.channel !== undefined && !this.closing;
  }

  async close(): Promise<void> {
    if (this.closing || !this.channel) return;
    this.closing = true;
    await this.drain();
    this.detach?.();
    this.detach = undefined;
    this.channel = undefined;
    this.setStatus('closed');
  }

  unwrap<T>(): T {
    return this.broker as T;
  }
}
