import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyService } from '@visage/auth';
import { ConfigService } from '@visage/config';
import { DashboardSessionRepository } from '@visage/persistence';
import { readCookie, setCookie } from '../common/cookies';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { DashboardSession, randomToken, SessionCookieCodec } from './session-cookie';

export const SESSION_COOKIE = 'visage_session';
/** A session ends this long after sign-in, whatever happens in between. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The stored form of a session token: a copy of the sessions table opens no session. */
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Dashboard sessions: sign in with an API key; the session is a row (DashboardSessionRepository: key, created,
 * last seen, absolute expiry, user agent) named by the random token inside the sealed cookie (SessionCookieCodec,
 * which also keeps the key the dashboard acts with out of the browser's reach). On every request the row must be
 * live (not idle past SESSION_IDLE_TIMEOUT_MS, not past SESSION_TTL_MS) and the key still active. Logout, revoking
 * the key and an admin's DELETE /sessions/:id delete the row, so a copied cookie ends with it. With AUTH=off
 * everyone is one anonymous admin.
 */
@Injectable()
export class SessionService {
  private readonly codec: SessionCookieCodec;
  /** AUTH=off: no key, but forms still carry a token a foreign site cannot read. */
  readonly anonymous: DashboardSession = {
    id: 'anonymous',
    keyId: 0,
    keyName: 'AUTH=off',
    scope: 'admin',
    apiKey: '',
    csrf: randomToken(),
    expiresAt: Infinity,
    createdAt: 0,
  };
  private readonly idleMs: number;

  constructor(
    private readonly keys: ApiKeyService,
    private readonly rows: DashboardSessionRepository,
    config: ConfigService,
  ) {
    this.idleMs = config.get('SESSION_IDLE_TIMEOUT_MS');
    const secret = config.get('SESSION_SECRET');
    if (!secret && keys.enabled) {
      new Logger('Auth').warn(
        'SESSION_SECRET is unset: a random one is used, so dashboard sessions end when this process stops and are not shared by replicas.',
      );
    }
    this.codec = new SessionCookieCodec(secret ?? randomToken());
  }

  get enabled(): boolean {
    return this.keys.enabled;
  }

  /** A new session (new token, new CSRF token, a new row) for a valid key; undefined for an unknown or revoked one. */
  async signIn(apiKey: string, userAgent?: string, now = Date.now()): Promise<DashboardSession | undefined> {
    const principal = await this.keys.authenticate(apiKey);
    if (!principal) return undefined;
    const id = randomToken();
    const expiresAt = now + SESSION_TTL_MS;
    await this.rows.create(
      { tokenHash: tokenHash(id), keyId: principal.keyId, expiresAt: new Date(expiresAt), userAgent: userAgent?.slice(0, 255) ?? null },
      new Date(now),
    );
    return { id, keyId: principal.keyId, keyName: principal.keyName, scope: principal.scope, apiKey, csrf: randomToken(), expiresAt, createdAt: now };
  }

  /**
   * The request's session while its cookie is intact, its row live (not ended, idle or expired) and its key still
   * active (scope as of now).
   */
  async current(request: Request): Promise<DashboardSession | undefined> {
    if (!this.enabled) return this.anonymous;
    const session = this.fromCookie(request);
    if (!session) return undefined;
    const row = await this.rows.findLive(tokenHash(session.id), this.idleMs);
    if (!row || row.keyId !== session.keyId) return undefined;
    const principal = await this.keys.authenticate(session.apiKey);
    return principal && principal.keyId === session.keyId
      ? { ...session, scope: principal.scope, keyName: principal.keyName, createdAt: row.createdAt.getTime() }
      : undefined;
  }

  private fromCookie(request: Request): DashboardSession | undefined {
    const value = readCookie(request, SESSION_COOKIE);
    return value === undefined ? undefined : this.codec.open(value);
  }

  issue(request: Request, response: Response, session: DashboardSession): void {
    const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
    setCookie(response, SESSION_COOKIE, this.codec.seal(session), { maxAge, secure: request.secure });
  }

  /** Logout: the row is deleted (a copy of the cookie ends too) and the cookie cleared. */
  async end(request: Request, response: Response): Promise<void> {
    const session = this.fromCookie(request);
    if (session) await this.rows.deleteByToken(tokenHash(session.id));
    setCookie(response, SESSION_COOKIE, '', { maxAge: 0, secure: request.secure });
  }
}
