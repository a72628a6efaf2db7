import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body, keyed with WEBHOOK_SECRET>`. */
export const SIGNATURE_HEADER = 'x-visage-signature';
/** Header carrying the event's id, so a receiver can drop a duplicate before parsing the body. */
export const EVENT_ID_HEADER = 'x-visage-event-id';

export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export class WebhookDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/** The webhook endpoints' HTTP adapter: one signed POST, resolved on a 2xx answer, rejected otherwise. */
@Injectable()
export class WebhookClient {
  async post(url: string, body: string, options: { secret: string; eventId: string; timeoutMs: number }): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'visage-webhooks',
          [SIGNATURE_HEADER]: webhookSignature(body, options.secret),
          [EVENT_ID_HEADER]: options.eventId,
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? String(error));
      throw new WebhookDeliveryError(reason);
    }
    // The body is not needed; reading it frees the connection for reuse.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new WebhookDeliveryError(`HTTP ${response.status}`);
  }
}
