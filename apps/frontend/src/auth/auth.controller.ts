import { Body, Controller, ForbiddenException, Get, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import { Public, Scope } from '@visage/access';
import { AuthFailureLimiter, clientAddress } from '@visage/auth';
import { readCookie, setCookie } from '../common/cookies';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { randomToken } from './session-cookie';
import { SessionService } from './session.service';
import { FormBody } from '../common/form';

/** Double-submit token of the login form (there is no session yet to hold one). */
const LOGIN_CSRF_COOKIE = 'visage_login';
const LOGIN_CSRF_MAX_AGE_S = 60 * 60;

/** Where to go after signing in: a path of this dashboard only (never `//host` or a URL). */
function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

@Controller()
export class AuthController {
  constructor(
    private readonly sessions: SessionService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  @Get('login')
  @Public()
  loginPage(@Query('next') next: unknown, @Req() request: Request, @Res() response: Response): void {
    if (!this.sessions.enabled) return response.redirect(303, '/');
    this.renderLogin(request, response, HttpStatus.OK, localPath(next));
  }

  @Post('login')
  @Public()
  async login(@Body() body: FormBody, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.sessions.enabled) return response.redirect(303, '/');
    const expected = readCookie(request, LOGIN_CSRF_COOKIE);
    if (!expected || body?._csrf !== expected) throw new ForbiddenException('This sign-in form has expired; reload the page and try again.');
    const address = clientAddress(request);
    this.failures.assertAllowed(address, response);
    const key = typeof body?.key === 'string' ? body.key.trim() : '';
    const session = key ? await this.sessions.signIn(key) : undefined;
    if (!session) {
      await this.failures.recordFailure(address, response);
      return this.renderLogin(request, response, HttpStatus.UNAUTHORIZED, localPath(body?.next), 'That key is not valid (unknown or revoked).');
    }
    setCookie(response, LOGIN_CSRF_COOKIE, '', { maxAge: 0, secure: request.secure });
    this.sessions.issue(request, response, session);
    response.redirect(303, localPath(body?.next));
  }

  @Post('logout')
  @Scope('read')
  logout(@Req() request: Request, @Res() response: Response): void {
    this.sessions.clear(request, response);
    response.redirect(303, '/login');
  }

  private renderLogin(request: Request, response: Response, status: number, next: string, error?: string): void {
    const token = randomToken();
    setCookie(response, LOGIN_CSRF_COOKIE, token, { maxAge: LOGIN_CSRF_MAX_AGE_S, secure: request.secure });
    // No navigation on the sign-in page: every link would lead back here.
    response.status(status).render('login', { loginCsrf: token, next, error, pageTitle: 'Sign in', hideNav: true });
  }
}
