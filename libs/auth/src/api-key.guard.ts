import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { declaredAccess, scopeAllows } from '@visage/access';
import { presentedApiKey } from './api-key';
import { ApiKeyService } from './api-key.service';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { clientAddress } from './client-address';
import { AuthenticatedRequest } from './principal';

export type GuardedRequest = IncomingMessage & AuthenticatedRequest & { ip?: string };

/** The same answer for a missing, unknown and revoked key: it never tells whether a key exists. */
export function unauthenticated(): UnauthorizedException {
  return new UnauthorizedException({
    statusCode: 401,
    error: 'Unauthorized',
    message: 'a valid API key is required: Authorization: Bearer <key> (or X-API-Key: <key>)',
    code: 'unauthenticated',
  });
}

/**
 * The receiver's one guard (APP_GUARD): every route declares `@Scope(...)` or `@Public()`; a route declaring
 * nothing is treated as admin-only (the route-table test keeps that from happening). 401 without a valid key,
 * 403 when its scope falls short, 429 for a failure from an address that has failed too often (a valid key is
 * never refused by that limit).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = declaredAccess(this.reflector, context) ?? 'admin';
    if (access === 'public' || !this.keys.enabled) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    const response = http.getResponse<ServerResponse>();
    const key = presentedApiKey(request.headers);
    const principal = await this.failures.authenticate(clientAddress(request), response, async () =>
      key === undefined ? undefined : await this.keys.authenticate(key),
    );
    if (!principal) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      throw unauthenticated();
    }
    request.principal = principal;
    if (!scopeAllows(principal.scope, access)) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `this key's scope (${principal.scope}) does not allow this route, which needs ${access}`,
        code: 'insufficient_scope',
      });
    }
    return true;
  }
}
