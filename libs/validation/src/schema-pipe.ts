import { BadRequestException, Body, Injectable, PipeTransform, Query } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { validate, ValidationProblem } from './problems';

/** A refused body or query: 400 with the uniform error body `{statusCode, error, message, code}`. */
export class ValidationFailed extends BadRequestException {
  constructor(readonly problem: ValidationProblem) {
    super({ statusCode: 400, error: 'Bad Request', message: problem.message, code: problem.code });
  }
}

/** The OpenAPI 3.0 form of a schema as a client writes the value (before transforms). */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  const { $schema: _dialect, ...document } = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' });
  return document as SchemaObject;
}

/** Validates a body or query with its schema: the parsed value, or `ValidationFailed`. */
@Injectable()
export class SchemaPipe<S extends z.ZodType = z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    readonly schema: S,
    readonly source: 'body' | 'query',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = validate(this.schema, value, this.source);
    if (!result.ok) throw new ValidationFailed(result.problem);
    return result.value;
  }
}

function methodOf(target: object, key: string | symbol | undefined): [string | symbol, PropertyDescriptor] {
  const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
  if (key === undefined || !descriptor) throw new Error('@ValidBody/@ValidQuery decorate a parameter of a route method');
  return [key, descriptor];
}

/**
 * The route's JSON body, validated by `schema` and documented in OpenAPI by the same schema: the one way a route
 * takes a body.
 */
export function ValidBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Body(new SchemaPipe(schema, 'body'))(target, key, index);
    const [method, descriptor] = methodOf(target, key);
    ApiBody({ schema: openApiSchema(schema), required: true })(target, method, descriptor);
  };
}

/** The route's query parameters, validated by `schema` (an object) and each documented from it. */
export function ValidQuery(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Query(new SchemaPipe(schema, 'query'))(target, key, index);
    const [method, descriptor] = methodOf(target, key);
    const document = openApiSchema(schema);
    for (const [name, property] of Object.entries(document.properties ?? {})) {
      const { description, ...parameterSchema } = property as SchemaObject;
      ApiQuery({ name, required: document.required?.includes(name) ?? false, schema: parameterSchema, description })(target, method, descriptor);
    }
  };
}
