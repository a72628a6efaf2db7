import { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { withTimeout } from '@visage/domain';

/** A publish the queue has not acknowledged by then counts as failed (the queue is down or stuck). */
export const PUBLISH_TIMEOUT_MS = 5_000;

/** Publishes `event` on `topic` and waits for the queue to take it, at most `timeoutMs` (else a TimeoutError). */
export async function emitWithin(client: Pick<ClientProxy, 'emit'>, topic: string, event: unknown, timeoutMs = PUBLISH_TIMEOUT_MS): Promise<void> {
  await withTimeout(lastValueFrom(client.emit(topic, event), { defaultValue: undefined }), timeoutMs);
}
