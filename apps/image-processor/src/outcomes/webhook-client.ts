import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ProcessorError } from '../processor-error';

/**
 * Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>", keyed with WEBHOOK_SECRET>`: the
 * timestamp is signed with the body, so a receiver that refuses a `t` older than {@link WEBHOOK_REPLAY_WINDOW_S}
 * cannot be fed a captured delivery again later.
 */
export const SIGNATURE_HEADER = 'x-visage-signature';
/** How old a signature's timestamp a receiver should accept (docs/events.md tells receivers). */
export const WEBHOOK_REPLAY_WINDOW_S = 300;
/** Header carrying the event's id, so a receiver can drop a duplicate before parsing the body. */
export const EVENT_ID_HEADER = 'x-visage-event-id';

const signed = (timestamp: number, body: string, secret: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

export function webhookSignature(body: string, secret: string, now = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},v1=${signed(timestamp, body, secret)}`;
}

/** What a receiver does (and the tests): the HMAC matches and the timestamp is within the replay window. */
export function verifyWebhookSignature(header: string | undefined, body: string, secret: string, now = Date.now()): boolean {
  const fields = new Map((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(fields.get('t'));
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > WEBHOOK_REPLAY_WINDOW_S) return false;
  const expected = Buffer.from(signed(timestamp, body, secret), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
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
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? String(error));
      throw new ProcessorError('webhook_refused', reason);
    }
    // The body is not needed; reading it frees the connection for reuse.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new ProcessorError('webhook_refused', `HTTP ${response.status}`);
  }
}
