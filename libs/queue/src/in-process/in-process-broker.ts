import { randomBytes } from 'node:crypto';

/** A message as the in-process broker stores it: the same JSON body NSQ would carry. */
export interface BrokerMessage {
  readonly id: string;
  readonly body: string;
  readonly timestamp: number;
  /** Deliveries so far, counting deferred ones (like NSQ's attempts). */
  deliveries: number;
  /** Deliveries that ended in a deferral and therefore do not count as attempts. */
  deferrals: number;
}

/** A consumer attached to one channel; the broker hands it messages while it has room. */
export interface BrokerSubscriber {
  hasCapacity(): boolean;
  receive(message: BrokerMessage, channel: BrokerChannel): void;
}

export class BrokerChannel {
  private readonly ready: BrokerMessage[] = [];
  private readonly subscribers: BrokerSubscriber[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private next = 0;

  constructor(
    readonly topic: string,
    readonly name: string,
  ) {}

  get depth(): number {
    return this.ready.length;
  }

  get deferredCount(): number {
    return this.timers.size;
  }

  put(message: BrokerMessage, delayMs = 0): void {
    if (delayMs <= 0) {
      this.ready.push(message);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.put(message);
    }, delayMs);
    // A deferred message must not keep a finished process alive; embedded mode republishes lost work on restart.
    timer.unref();
    this.timers.add(timer);
  }

  attach(subscriber: BrokerSubscriber): () => void {
    this.subscribers.push(subscriber);
    this.pump();
    return () => {
      const index = this.subscribers.indexOf(subscriber);
      if (index >= 0) this.subscribers.splice(index, 1);
    };
  }

  /** Hands ready messages to subscribers in turn while they have room (the in-process RDY). */
  pump(): void {
    while (this.ready.length > 0) {
      const subscriber = this.pick();
      if (!subscriber) return;
      const message = this.ready.shift() as BrokerMessage;
      message.deliveries += 1;
      subscriber.receive(message, this);
    }
  }

  private pick(): BrokerSubscriber | undefined {
    for (let i = 0; i < this.subscribers.length; i += 1) {
      const candidate = this.subscribers[(this.next + i) % this.subscribers.length];
      if (candidate.hasCapacity()) {
        this.next = (this.next + i + 1) % this.subscribers.length;
        return candidate;
      }
    }
    return undefined;
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * Messages a topic without any channel keeps; beyond it the oldest go. A topic nobody subscribes to in this
 * process (the outcome events of an embedded deployment without an in-process consumer) must not grow forever;
 * the images topic has its channel from the processor's start, and lost image messages are republished anyway.
 */
export const MAX_TOPIC_BACKLOG = 10_000;

/**
 * The embedded-mode broker: topics fan out to channels, a channel distributes among its subscribers, messages
 * published before any channel exists wait in the topic — the NSQ model, in memory. One per process by default
 * ({@link InProcessBroker.shared}) so the receiver's client and the processor's server meet; tests make their own.
 */
export class InProcessBroker {
  private static instance?: InProcessBroker;
  private readonly channels = new Map<string, Map<string, BrokerChannel>>();
  private readonly backlog = new Map<string, BrokerMessage[]>();
  private readonly idPrefix = randomBytes(3).toString('hex');
  private sequence = 0;

  static shared(): InProcessBroker {
    InProcessBroker.instance ??= new InProcessBroker();
    return InProcessBroker.instance;
  }

  channel(topic: string, name: string): BrokerChannel {
    let channels = this.channels.get(topic);
    if (!channels) {
      channels = new Map();
      this.channels.set(topic, channels);
    }
    let channel = channels.get(name);
    if (!channel) {
      channel = new BrokerChannel(topic, name);
      channels.set(name, channel);
      for (const message of this.backlog.get(topic)?.splice(0) ?? []) channel.put(message);
    }
    return channel;
  }

  publish(topic: string, body: string, delayMs = 0): void {
    this.sequence += 1;
    const id = `${this.idPrefix}${this.sequence.toString(16).padStart(10, '0')}`;
    const timestamp = Date.now();
    const channels = this.channels.get(topic);
    if (!channels || channels.size === 0) {
      // Like nsqd, hold it in the topic until a channel exists (delay is dropped: nobody could run it yet).
      const pending = this.backlog.get(topic) ?? [];
      pending.push({ id, body, timestamp, deliveries: 0, deferrals: 0 });
      if (pending.length > MAX_TOPIC_BACKLOG) pending.splice(0, pending.length - MAX_TOPIC_BACKLOG);
      this.backlog.set(topic, pending);
      return;
    }
    for (const channel of channels.values()) {
      channel.put({ id, body, timestamp, deliveries: 0, deferrals: 0 }, delayMs);
    }
  }

  /** Messages waiting (ready, plus topic backlog) — for tests and health output. */
  depth(topic: string, channel?: string): number {
    const backlog = this.backlog.get(topic)?.length ?? 0;
    if (!channel) return backlog;
    const found = this.channels.get(topic)?.get(channel);
    return backlog + (found ? found.depth + found.deferredCount : 0);
  }

  /** Drops every message and timer (tests). */
  reset(): void {
    for (const channels of this.channels.values()) for (const channel of channels.values()) channel.clearTimers();
    this.channels.clear();
    this.backlog.clear();
  }
}
