import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { HttpRequest as Request } from './http';

/**
 * The dashboard has no login, so a page on another site could otherwise make a visitor's browser post
 * retries or enrolments to it. Browsers send Origin on cross-site form posts; refuse a foreign one.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const origin = request.headers.origin;
    if (origin === undefined) return true; // not a browser form post (curl, tests): nothing to forge
    if (originHost(origin) !== request.headers.host) {
      throw new ForbiddenException('Cross-site form submissions are not accepted.');
    }
    return true;
  }
}

/** Host of an Origin header; undefined for `null` (sandboxed/opaque origins) or anything unparsable. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
