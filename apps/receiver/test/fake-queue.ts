import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';

/** Records every emitted event; with `failWith` set, every emit fails like a queue that is down. */
export class RecordingQueueClient extends ClientProxy {
  readonly events: Array<{ pattern: unknown; data: unknown }> = [];
  failWith: Error | undefined;

  async connect(): Promise<void> {}
  close(): void {}
  unwrap<T>(): T {
    return this as unknown as T;
  }
  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('request/response is not used'), isDisposed: true });
    return () => undefined;
  }
  protected async dispatchEvent<T>(packet: ReadPacket): Promise<T> {
    if (this.failWith) throw this.failWith;
    this.events.push({ pattern: packet.pattern, data: packet.data });
    return undefined as T;
  }

  /** Image ids published so far, in order. */
  imageIds(): number[] {
    return this.events.map((event) => (event.data as { imageId: number }).imageId);
  }
}
