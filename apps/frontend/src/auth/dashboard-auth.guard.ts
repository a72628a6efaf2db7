import { timingSafeEqual } from 'node:crypto';
import { CanActivate, createParamDecorator, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { declaredAccess, scopeAllows } from '@visage/access';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { formatTime } from '../images/image.presenter';
import { DashboardSession } from './session-cookie';
import { SessionService } from './session.service';

/** No (valid) session: pages redirect to the login page, the rest answers 401 JSON (see FrontendErrorFilter). */
export class LoginRequiredException extends UnauthorizedException {
  constructor() {
    super('Sign in to see this.');
  }
}

type SessionRequest = Request & { dashboardSession?: DashboardSession };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Every dashboard route declares `@Scope('read')` (pages, thumbnails, crops, the live feed), `@Scope('admin')`
 * (actions) or `@Public()` (login, health, metrics); undeclared means admin. A POST must carry the session's
 * CSRF token (`_csrf` field or `X-CSRF-Token`) and, when the browser names it, come from this origin.
 */
@Injectable()
export class DashboardAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = declaredAccess(this.reflector, context) ?? 'admin';
    if (access === 'public') return true;
    const request = context.switchToHttp().getRequest<SessionRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const session = await this.sessions.current(request);
    if (!session) throw new LoginRequiredException();
    request.dashboardSession = session;
    response.locals.csrf = session.csrf;
    response.locals.canAct = scopeAllows(session.scope, 'admin');
    response.locals.canSubmit = scopeAllows(session.scope, 'submit');
    response.locals.signedInAs = this.sessions.enabled ? session.keyName : undefined;
    const since = new Date(session.createdAt);
    response.locals.signedInSince = since.toISOString();
    response.locals.signedInSinceText = formatTime(since);
    if (!SAFE_METHODS.has(request.method ?? 'GET')) this.assertSameSite(request, session);
    if (!scopeAllows(session.scope, access)) {
      throw new ForbiddenException(`This session (${session.scope} key) may only look; sign in with an admin key to change anything.`);
    }
    return true;
  }

  private assertSameSite(request: SessionRequest, session: DashboardSession): void {
    const origin = request.headers.origin;
    if (origin !== undefined && originHost(origin) !== request.headers.host)
      throw new ForbiddenException('Cross-site form submissions are not accepted.');
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    if (!sameToken(body._csrf ?? request.headers['x-csrf-token'], session.csrf)) {
      throw new ForbiddenException('This form has expired or did not come from this dashboard; reload the page and try again.');
    }
  }
}

/** The session the guard attached (a handler behind `@Scope` always has one). */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext): DashboardSession => {
  const session = context.switchToHttp().getRequest<SessionRequest>().dashboardSession;
  if (!session) throw new LoginRequiredException();
  return session;
});
