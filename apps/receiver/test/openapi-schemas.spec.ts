import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiSchema, SchemaPipe } from '@visage/validation';
import { SQLITE_DRIVER } from '../../../libs/persistence/test/test-databases';
import { ReceiverHarness, startReceiver } from './receiver-harness';

interface RouteArgument {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

interface RouteInputs {
  /** `POST /persons/{id}/faces`: OpenAPI's spelling of the route. */
  route: string;
  body?: RouteArgument;
  query?: RouteArgument;
}

type Operation = {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: unknown; description?: string }>;
};

function joinPaths(...parts: Array<string | string[] | undefined>): string {
  const segments = parts
    .map((part) => (Array.isArray(part) ? part[0] : part) ?? '')
    .flatMap((part) => part.split('/'))
    .filter(Boolean);
  return `/${segments.map((segment) => segment.replace(/^:(.+)$/, '{$1}')).join('/')}`;
}

/** Every route of the app with the @Body / @Query parameters its handler takes, as Nest will call it. */
function routeInputs(harness: ReceiverHarness): RouteInputs[] {
  const scanner = new MetadataScanner();
  const routes: RouteInputs[] = [];
  for (const module of harness.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller) continue;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, RouteArgument>;
        const of = (type: RouteParamtypes) => Object.entries(args).find(([key]) => key.split(':')[0] === String(type))?.[1];
        routes.push({
          route: `${method} ${joinPaths(Reflect.getMetadata(PATH_METADATA, controller), path)}`,
          body: of(RouteParamtypes.BODY),
          query: of(RouteParamtypes.QUERY),
        });
      }
    }
  }
  return routes;
}

/** The one schema an argument is validated with, or a description of what is wrong with it. */
function schemaOf(argument: RouteArgument): SchemaPipe | string {
  if (argument.data !== undefined) return `takes one field (${String(argument.data)}) instead of the whole value`;
  const pipes = (argument.pipes ?? []).filter((pipe): pipe is SchemaPipe => pipe instanceof SchemaPipe);
  return pipes.length === 1 && argument.pipes?.length === 1 ? pipes[0]! : 'is not validated by exactly one schema (@ValidBody / @ValidQuery)';
}

/** The upload forms describeUploadBodies writes: the picture as the body, or multipart `file` parts. */
function isUploadForm(type: string, schema: unknown): boolean {
  const binary = { type: 'string', format: 'binary' };
  const file = (schema as { properties?: { file?: { items?: unknown } } } | undefined)?.properties?.file;
  if (type === 'image/*') return JSON.stringify(schema) === JSON.stringify(binary);
  return type === 'multipart/form-data' && JSON.stringify(file?.items ?? file) === JSON.stringify(binary);
}

/**
 * The OpenAPI document describes each route's body and query by the very schema that validates it: a route whose
 * input is checked by hand, or documented by a DTO class or an @ApiQuery of its own, fails here.
 */
describe('receiver OpenAPI: bodies and queries', () => {
  let harness: ReceiverHarness;
  let operations: Record<string, Operation>;
  let routes: RouteInputs[];

  beforeAll(async () => {
    harness = await startReceiver(SQLITE_DRIVER);
    const document = (await harness.http.get('/docs-json')).body as { paths: Record<string, Record<string, Operation>> };
    operations = Object.fromEntries(
      Object.entries(document.paths).flatMap(([path, byMethod]) =>
        Object.entries(byMethod).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation]),
      ),
    );
    routes = routeInputs(harness);
  });
  afterAll(() => harness?.close());

  it('finds the routes that take input', () => {
    const taking = routes.filter((route) => route.body || route.query).map((route) => route.route);
    expect(taking).toEqual(
      expect.arrayContaining(['POST /image/post', 'POST /images/post', 'GET /images', 'POST /persons', 'POST /keys', 'GET /audit']),
    );
  });

  it('validates every body and query with one schema', () => {
    const problems = routes.flatMap((route) =>
      (['body', 'query'] as const).flatMap((source) => {
        const argument = route[source];
        const schema = argument && schemaOf(argument);
        return typeof schema === 'string' ? [`${route.route}: its ${source} ${schema}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('documents each body as the schema that validates it, and no JSON body without one', () => {
    for (const route of routes) {
      const content = operations[route.route]?.requestBody?.content ?? {};
      const schema = route.body && schemaOf(route.body);
      if (schema instanceof SchemaPipe) {
        // Whatever the media type (JSON, or a form with @ApiConsumes), the body is the one schema; a route that also
        // takes an upload (POST /persons/:id/faces) documents its two upload forms beside it (@ApiUploadBody).
        const bodies = Object.entries(content).filter(([type, media]) => !isUploadForm(type, media.schema));
        expect(
          bodies.map(([, media]) => media.schema),
          route.route,
        ).toEqual([openApiSchema(schema.schema)]);
      } else {
        // A route that takes no @Body (a file upload read by an interceptor) may document a form, never JSON.
        expect(content['application/json'], route.route).toBeUndefined();
      }
    }
  });

  it('documents each query parameter from the schema that validates it, and no other parameter', () => {
    for (const route of routes) {
      const documented = (operations[route.route]?.parameters ?? []).filter((parameter) => parameter.in === 'query');
      const schema = route.query && schemaOf(route.query);
      const expected = schema instanceof SchemaPipe ? openApiSchema(schema.schema) : { properties: {}, required: [] };
      expect(
        documented.map(({ name, required, schema: parameter, description }) => ({
          name,
          required,
          schema: { ...(parameter as object), ...(description ? { description } : {}) },
        })),
        route.route,
      ).toEqual(
        Object.entries(expected.properties ?? {}).map(([name, parameter]) => ({
          name,
          required: expected.required?.includes(name) ?? false,
          schema: parameter,
        })),
      );
    }
  });
});
