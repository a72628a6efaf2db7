import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpRequest as Request, HttpResponse as Response } from './http';
import { describeError } from '@visage/domain';
import { LoginRequiredException } from '../auth/dashboard-auth.guard';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Page not found',
  413: 'Too large',
  415: 'Unsupported file',
  422: 'Cannot process',
  429: 'Too many attempts',
  500: 'Something went wrong',
  502: 'Receiver unavailable',
  503: 'Service unavailable',
};

/** The `code` a refusal names (validation failures and the receiver-style errors carry one). */
function codeOf(exception: unknown): string | undefined {
  const body = exception instanceof HttpException ? exception.getResponse() : undefined;
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string'
    ? (body as { code: string }).code
    : undefined;
}

/**
 * Errors become a page (or JSON for `/api` and `/health` and non-HTML clients) with the status and a short
 * message; stack traces only go to the log, and only for server faults.
 */
@Catch()
export class FrontendErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Frontend');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request>();
    const response = context.getResponse<Response>();
    const status = exception instanceof HttpException ? exception.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
    const message = exception instanceof HttpException ? describeError(exception) : 'An unexpected error occurred.';
    if (status >= 500)
      this.logger.error(`${request.method} ${request.path}: ${describeError(exception)}`, exception instanceof Error ? exception.stack : undefined);
    if (response.headersSent) return;
    const title = TITLES[status] ?? 'Error';
    const signIn = exception instanceof LoginRequiredException;
    // Our own refusals name their code; a 404 without one is the router's (no such page), named as the receiver does.
    const code = signIn ? 'login_required' : (codeOf(exception) ?? (status === HttpStatus.NOT_FOUND ? 'route_not_found' : undefined));

    const wantsJson =
      request.path.startsWith('/api/') ||
      request.path.startsWith('/health') ||
      request.path === '/thumbnails' ||
      /^\/faces\/[^/]+\/crop$/.test(request.path) ||
      /^\/persons\/[^/]+\/photo$/.test(request.path) ||
      !request.accepts('html');
    if (wantsJson) {
      response.status(status).json({ statusCode: status, error: title, message, ...(code ? { code } : {}) });
      return;
    }
    if (signIn) {
      response.redirect(303, request.method === 'GET' ? `/login?next=${encodeURIComponent(request.originalUrl)}` : '/login');
      return;
    }
    response.status(status).render('error', { title, status, message, code, pageTitle: `${status} ${title}` });
  }
}
