import { randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable, Logger, NestMiddleware } from '@nestjs/common';
import { routeTemplate } from './http-metrics.middleware';
import { withLogContext } from './log-context';
import { OBSERVED_APP } from './observability.tokens';

export const REQUEST_ID_HEADER = 'x-request-id';

/** At most 128 printable ASCII characters: safe in a header, a log line, a gRPC metadata value and a column. */
const VALID_REQUEST_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

export function isValidRequestId(value: string): boolean {
  return VALID_REQUEST_ID.test(value);
}

interface HeaderRequest {
  method: string;
  baseUrl?: string;
  route?: { path?: unknown };
  headers: Record<string, string | string[] | undefined>;
}

interface HeaderResponse {
  statusCode: number;
  setHeader(name: string, value: string): void;
  once(event: 'finish', listener: () => void): void;
}

/** Probes and scrapes are not worth a line each. */
const QUIET_ROUTES = /^\/(health|metrics)(\/|$)/;

/**
 * Takes the client's `X-Request-Id` (refused with 400 `invalid_request_id` unless it is ≤ 128 printable characters)
 * or makes one, returns it on the response, and runs the rest of the request in a log context carrying it and the
 * app's name, so every line logged on its way (and the receiver's stored image) has it.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware<HeaderRequest, HeaderResponse> {
  private readonly logger = new Logger('HTTP');

  constructor(@Inject(OBSERVED_APP) private readonly app: string) {}

  use(request: HeaderRequest, response: HeaderResponse, next: () => void): void {
    const given = request.headers[REQUEST_ID_HEADER];
    const header = Array.isArray(given) ? given[0] : given;
    if (header !== undefined && !isValidRequestId(header)) {
      throw new BadRequestException({
        code: 'invalid_request_id',
        message: 'X-Request-Id must be 1 to 128 printable ASCII characters, without leading or trailing spaces',
      });
    }
    const requestId = header ?? randomUUID();
    response.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    response.once('finish', () => withLogContext({ app: this.app, requestId }, () => this.logAccess(request, response, started)));
    withLogContext({ app: this.app, requestId }, next);
  }

  /** One line per request: changes and failures at `log`, successful reads at `debug`. */
  private logAccess(request: HeaderRequest, response: HeaderResponse, started: number): void {
    const route = routeTemplate(request);
    if (QUIET_ROUTES.test(route)) return;
    const line = `${request.method} ${route} ${response.statusCode} ${Math.round(performance.now() - started)} ms`;
    if (request.method === 'GET' && response.statusCode < 400) this.logger.debug(line);
    else this.logger.log(line);
  }
}
