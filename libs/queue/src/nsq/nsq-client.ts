import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { encodeEventBody } from '../delivery/message-codec';
import { QueueError } from '../queue-error';
import { NsqPublisher, NsqPublisherOptions } from './nsq-publisher';

/** The transports carry events only: Nest's request/response `send()` is refused. */
export function requestResponseNotSupported(transport: string): QueueError {
  return new QueueError('request_response_not_supported', `${transport} carries events only: use client.emit(topic, data), not send()`);
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
    callback({ err: requestResponseNotSupported('NSQ'), isDisposed: true });
    return () => undefined;
  }
}
