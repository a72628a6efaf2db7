import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { encodeEventBody } from '../delivery/message-codec';
import { requestResponseNotSupported } from '../nsq/nsq-client';
import { InProcessBroker } from './in-process-broker';

type Listener = (...args: unknown[]) => void;

/** `emit(topic, data)` into the in-process broker, with the same JSON body the NSQ client would publish. */
export class InProcessClient extends ClientProxy<Record<string, Listener>, 'connected'> {
  readonly broker: InProcessBroker;

  constructor(options: { broker?: InProcessBroker } = {}) {
    super();
    this.broker = options.broker ?? InProcessBroker.shared();
  }

  async connect(): Promise<void> {
    this._status$.next('connected');
  }

  isConnected(): boolean {
    return true;
  }

  close(): void {
    // Nothing to release: the broker outlives its clients.
  }

  unwrap<T>(): T {
    return this.broker as T;
  }

  async emitDeferred(topic: string, data: unknown, delayMs: number): Promise<void> {
    this.broker.publish(topic, encodeEventBody(data), delayMs);
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    this.broker.publish(this.normalizePattern(packet.pattern), encodeEventBody(packet.data));
    return undefined as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: requestResponseNotSupported('The in-process queue'), isDisposed: true });
    return () => undefined;
  }
}
