import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ApiScope, isApiScope } from '@visage/access';

/** What the dashboard's session cookie carries. */
export interface DashboardSession {
  /** Random per sign-in: a new session at every login. */
  id: string;
  keyId: number;
  keyName: string;
  scope: ApiScope;
  /** The API key signed in with: the dashboard's actions go to the receiver with it (so the audit names it). */
  apiKey: string;
  /** Synchroniser token every form of this session carries. */
  csrf: string;
  /** Epoch ms after which the session is refused. */
  expiresAt: number;
  /** Epoch ms of the sign-in ("signed in since …"). */
  createdAt: number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals sessions into a cookie value with AES-256-GCM under a key derived from SESSION_SECRET: authenticated
 * (a changed byte fails, so it is signed) and encrypted (the API key inside never shows in the browser).
 */
export class SessionCookieCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'visage', 'dashboard-session-v1', 32));
  }

  seal(session: DashboardSession): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(session), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The session, or undefined for anything tampered with, truncated, sealed under another secret or expired. */
  open(value: string, now = Date.now()): DashboardSession | undefined {
    try {
      const raw = Buffer.from(value, 'base64url');
      if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      const session = JSON.parse(text) as Partial<DashboardSession>;
      const valid =
        typeof session.id === 'string' &&
        typeof session.keyId === 'number' &&
        typeof session.keyName === 'string' &&
        isApiScope(session.scope) &&
        typeof session.apiKey === 'string' &&
        typeof session.csrf === 'string' &&
        typeof session.expiresAt === 'number' &&
        typeof session.createdAt === 'number';
      return valid && session.expiresAt! > now ? (session as DashboardSession) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A fresh random token (session id, CSRF token). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
