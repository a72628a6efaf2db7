import { Controller, ForbiddenException, Get, HttpStatus, Post, Req, Res } from '@nestjs/common';
import { ValidQuery } from '@visage/validation';
import { z } from 'zod';
import { Public, Scope } from '@visage/access';
import { AuthFailureLimiter, clientAddress } from '@visage/auth';
import { readCookie, setCookie } from '../common/cookies';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { randomToken } from './session-cookie';
import { SessionService } from './session.service';
import { FormInput, ValidForm } from '../common/form';

/** Double-submit token of the login form (there is no session yet to hold one). */
const LOGIN_CSRF_COOKIE = 'visage_login';
const LOGIN_CSRF_MAX_AGE_S = 60 * 60;

/** Where to go after signing in: a path of this dashboard only (never `//host` or a URL). */
function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** `next` (query or form): where to go after signing in; anything but a local path means the home page (never a 400). */
const nextField = z.unknown().optional().transform(localPath);

/** `/login?next=`. */
const loginPageQuery = z.object({ next: nextField });

/**
 * The sign-in form: the login CSRF token, the key and `next`. Never a 400: a missing or odd key is a key that is
 * not valid (401, counted by the failure limiter), a form without its token an expired form (403).
 */
const loginForm = z.object({
  _csrf: z.unknown(),
  key: z.unknown().transform((key) => (typeof key === 'string' ? key.trim() : '')),
  next: nextField,
});

@Controller()
export class AuthController {
  constructor(
    private readonly sessions: SessionService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  @Get('login')
  @Public()
  loginPage(@ValidQuery(loginPageQuery) { next }: z.output<typeof loginPageQuery>, @Req() request: Request, @Res() response: Response): void {
    if (!this.sessions.enabled) return response.redirect(303, '/');
    this.renderLogin(request, response, HttpStatus.OK, next);
  }

  @Post('login')
  @Public()
  async login(@ValidForm(loginForm) form: FormInput<typeof loginForm>, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.sessions.enabled) return response.redirect(303, '/');
    const expected = readCookie(request, LOGIN_CSRF_COOKIE);
    if (!expected || !form.ok || form.value._csrf !== expected)
      throw new ForbiddenException('This sign-in form has expired; reload the page and try again.');
    const { key, next } = form.value;
    const session = await this.failures.authenticate(clientAddress(request), response, async () =>
      key ? await this.sessions.signIn(key, request.headers['user-agent']) : undefined,
    );
    if (!session) {
      return this.renderLogin(request, response, HttpStatus.UNAUTHORIZED, next, 'That key is not valid (unknown or revoked).');
    }
    setCookie(response, LOGIN_CSRF_COOKIE, '', { maxAge: 0, secure: request.secure });
    this.sessions.issue(request, response, session);
    response.redirect(303, next);
  }

  @Post('logout')
  @Scope('read')
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.sessions.end(request, response);
    response.redirect(303, '/login');
  }

  private renderLogin(request: Request, response: Response, status: number, next: string, error?: string): void {
    const token = randomToken();
    setCookie(response, LOGIN_CSRF_COOKIE, token, { maxAge: LOGIN_CSRF_MAX_AGE_S, secure: request.secure });
    // No navigation on the sign-in page: every link would lead back here.
    response.status(status).render('login', { loginCsrf: token, next, error, pageTitle: 'Sign in', hideNav: true });
  }
}
