import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { encodeEventBody } from '../delivery/message-codec';
import { NsqPublisher, NsqPublisherOptions } from './nsq-publisher';

export class RequestResponseNotSupportedError extends Error {
  constructor(transport: string) {
    super(`${transport} carries events only: use client.emit(topic, data), not send()`);
    this.name = 'RequestResponseNotSupportedError';
  }
}

export type NsqClientOptions = NsqPublisherOptions;

type Listener = (...args: unknown[]) => void;

/**
 * `emit(topic, data)` publishes `JSON(data)` to the local nsqd (`NSQD_TCP_ADDRESS`), as NSQ intends: every
 * producer writes to its own nsqd and consumers find it through nsqlookupd. The observable completes once nsqd
 * acknowledged the PUB (errors if it did not), so a caller knows the event is durable.
 */
export class NsqClient extends ClientProxy<Record<string, Listener>, 'connected' | 'disconnected'> {
  private publisher: NsqPublisher;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(private readonly clientOptions: NsqClientOptions) {
    super();
    this.publisher = new NsqPublisher(clientOptions);
  }

  async connect(): Promise<void> {
    if (this.publisher.isConnected()) return;
    await this.publisher.connect();
    this._status$.next('connected');
  }

  isConnected(): boolean {
    return this.publisher.isConnected();
  }

  close(): void {
    this.publisher.close();
    // A closed client can be connected again (Nest calls connect lazily on the next emit).
    this.publisher = new NsqPublisher(this.clientOptions);
    this._status$.next('disconnected');
  }

  override on(event: string, callback: Listener): void {
    const list = this.listeners.get(event) ?? [];
    list.push(callback);
    this.listeners.set(event, list);
  }

  unwrap<T>(): T {
    return this.publisher as T;
  }

  /** Publishes with a delay (NSQ DPUB): the event becomes visible to consumers after delayMs. */
  async emitDeferred(topic: string, data: unknown, delayMs: number): Promise<void> {
    await this.publisher.deferPublish(topic, encodeEventBody(data), delayMs);
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const topic = this.normalizePattern(packet.pattern);
    try {
      await this.publisher.publish(topic, encodeEventBody(packet.data));
    } catch (error) {
      for (const listener of this.listeners.get('error') ?? []) listener(error);
      throw error;
    }
    return undefined as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new RequestResponseNotSupportedError('NSQ'), isDisposed: true });
    return () => undefined;
  }
}
