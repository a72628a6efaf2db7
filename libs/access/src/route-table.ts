import { INestApplicationContext, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { ROUTE_ACCESS_METADATA, RouteAccess } from './access';

export interface RouteEntry {
  method: string;
  path: string;
  /** `${Controller}.${handler}`, to name a route that declares nothing. */
  handler: string;
  access: RouteAccess | undefined;
}

function joinPaths(...parts: Array<string | string[] | undefined>): string {
  const segments = parts
    .map((part) => (Array.isArray(part) ? part[0] : part) ?? '')
    .flatMap((part) => part.split('/'))
    .filter(Boolean);
  return `/${segments.join('/')}`;
}

/**
 * Every HTTP route registered by the controllers of an app, with the access it declares (`@Scope` / `@Public`
 * on the handler or its controller). What the route-table test checks: a route declaring nothing is a bug.
 */
export function routeAccessTable(app: INestApplicationContext): RouteEntry[] {
  const scanner = new MetadataScanner();
  const routes: RouteEntry[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller) continue;
      const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      const classAccess = Reflect.getMetadata(ROUTE_ACCESS_METADATA, controller) as RouteAccess | undefined;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
        routes.push({
          method: RequestMethod[method] ?? String(method),
          path: joinPaths(prefix, path),
          handler: `${controller.name}.${name}`,
          access: (Reflect.getMetadata(ROUTE_ACCESS_METADATA, handler) as RouteAccess | undefined) ?? classAccess,
        });
      }
    }
  }
  return routes;
}
