import { Global, Module } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { QUEUE_CLIENT } from '@visage/queue';

/**
 * Stand-in until `QueueModule.forRoot()` (@visage/queue) is wired in createReceiverApp: every publish
 * fails, which the receiver already tolerates (row stored, failure logged, retry job re-publishes).
 * Delete this file once the real queue module is in place.
 */
class UnwiredQueueClient extends ClientProxy {
  async connect(): Promise<void> {}
  close(): void {}
  unwrap<T>(): T {
    throw new Error('no queue is wired into the receiver');
  }
  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('no queue is wired into the receiver'), isDisposed: true });
    return () => undefined;
  }
  protected async dispatchEvent(): Promise<never> {
    throw new Error('no queue is wired into the receiver');
  }
}

@Global()
@Module({ providers: [{ provide: QUEUE_CLIENT, useClass: UnwiredQueueClient }], exports: [QUEUE_CLIENT] })
export class UnwiredQueueModule {}
