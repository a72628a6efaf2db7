import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyService } from '@visage/auth';
import { ConfigService } from '@visage/config';
import { readCookie, setCookie } from '../common/cookies';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { DashboardSession, randomToken, SessionCookieCodec } from './session-cookie';

export const SESSION_COOKIE = 'visage_session';
/** A session ends this long after sign-in, whatever happens in between. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Dashboard sessions: sign in with an API key, a sealed cookie (SessionCookieCodec), and on every request the
 * key checked again, so a revoked key ends its sessions at once. With AUTH=off everyone is one anonymous admin.
 */
@Injectable()
export class SessionService {
  private readonly codec: SessionCookieCodec;
  /** AUTH=off: no key, but forms still carry a token a foreign site cannot read. */
  readonly anonymous: DashboardSession = { id: 'anonymous', keyId: 0, keyName: 'AUTH=off', scope: 'admin', apiKey: '', csrf: randomToken(), expiresAt: Infinity };

  constructor(
    private readonly keys: ApiKeyService,
    config: ConfigService,
  ) {
    const secret = config.get('SESSION_SECRET');
    if (!secret && keys.enabled) {
      new Logger('Auth').warn('SESSION_SECRET is unset: a random one is used, so dashboard sessions end when this process stops and are not shared by replicas.');
    }
    this.codec = new SessionCookieCodec(secret ?? randomToken());
  }

  get enabled(): boolean {
    return this.keys.enabled;
  }

  /** A new session (new id, new CSRF token) for a valid key; undefined for an unknown or revoked one. */
  async signIn(apiKey: string, now = Date.now()): Promise<DashboardSession | undefined> {
    const principal = await this.keys.authenticate(apiKey);
    if (!principal) return undefined;
    return { id: randomToken(), keyId: principal.keyId, keyName: principal.keyName, scope: principal.scope, apiKey, csrf: randomToken(), expiresAt: now + SESSION_TTL_MS };
  }

  /** The request's session while its cookie is intact and unexpired and its key still active (scope as of now). */
  async current(request: Request): Promise<DashboardSession | undefined> {
    if (!this.enabled) return this.anonymous;
    const value = readCookie(request, SESSION_COOKIE);
    const session = value === undefined ? undefined : this.codec.open(value);
    if (!session) return undefined;
    const principal = await this.keys.authenticate(session.apiKey);
    return principal && principal.keyId === session.keyId ? { ...session, scope: principal.scope, keyName: principal.keyName } : undefined;
  }

  issue(request: Request, response: Response, session: DashboardSession): void {
    const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
    setCookie(response, SESSION_COOKIE, this.codec.seal(session), { maxAge, secure: request.secure });
  }

  clear(request: Request, response: Response): void {
    setCookie(response, SESSION_COOKIE, '', { maxAge: 0, secure: request.secure });
  }
}
