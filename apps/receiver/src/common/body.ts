import { HttpStatus } from '@nestjs/common';
import { MAX_ID } from '@visage/domain';
import { ApiError } from './api-error';

/** The body as a plain JSON object, or 400 naming what it was instead. */
export function requireObject(body: unknown, expected: string): Record<string, unknown> {
  if (body === undefined) throw new ApiError(HttpStatus.BAD_REQUEST, `request body is required: ${expected}`, { code: 'body_required' });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `request body must be a JSON object: ${expected}`, { code: 'body_not_object' });
  }
  return body as Record<string, unknown>;
}

/** An id given in a JSON body: a positive integer up to MAX_ID (a number, never a string), else undefined. */
export function bodyId(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID ? value : undefined;
}
