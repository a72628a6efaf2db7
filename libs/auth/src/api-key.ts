import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Random bytes in a generated key (256 bits): guessing one is out of reach, so one hash lookup suffices. */
export const API_KEY_BYTES = 32;
const PREFIX = 'vsk_';

/** A new key: `vsk_` and 32 random bytes in base64url (47 characters). Shown once; only its hash is stored. */
export function generateApiKey(): string {
  return `${PREFIX}${randomBytes(API_KEY_BYTES).toString('base64url')}`;
}

/** Hex sha256: what the database holds. A fast hash is enough for 256-bit random keys (nothing to brute-force). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key: <key>` (seed-style clients). */
export function presentedApiKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const header = headers['x-api-key'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value || undefined;
}
