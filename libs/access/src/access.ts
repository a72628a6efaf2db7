import { ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * What an API key may do, each including the one before: `read` (GET), `submit` (submit and retry images),
 * `admin` (people, enrolment, corrections, deletion, keys, audit).
 */
export const API_SCOPES = ['read', 'submit', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** What a route needs: a key (or dashboard session) with at least this scope, or nothing at all. */
export type RouteAccess = ApiScope | 'public';

export const ROUTE_ACCESS_METADATA = 'visage:route-access';

/** The route (or every route of the controller) needs a key with at least `scope`. */
export const Scope = (scope: ApiScope) => SetMetadata(ROUTE_ACCESS_METADATA, scope);

/** The route (or controller) needs no key: health, metrics, the dashboard's login and static files. */
export const Public = () => SetMetadata(ROUTE_ACCESS_METADATA, 'public' satisfies RouteAccess);

export function isApiScope(value: unknown): value is ApiScope {
  return typeof value === 'string' && (API_SCOPES as readonly string[]).includes(value);
}

/** True when a key of scope `held` may use a route needing `needed`. */
export function scopeAllows(held: ApiScope, needed: ApiScope): boolean {
  return API_SCOPES.indexOf(held) >= API_SCOPES.indexOf(needed);
}

/** The access declared on the handler, else on its controller; undefined when neither declares one. */
export function declaredAccess(reflector: Reflector, context: ExecutionContext): RouteAccess | undefined {
  return reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS_METADATA, [context.getHandler(), context.getClass()]);
}
