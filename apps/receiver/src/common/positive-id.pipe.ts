import { HttpStatus, Injectable, PipeTransform } from '@nestjs/common';
import { MAX_ID, parseRouteId } from '@visage/domain';
import { ApiError } from './api-error';

/** Parses a route id (see `parseRouteId`), else 400 `invalid_id` (never a lookup). */
export function parseId(value: unknown, name = 'id', code = 'invalid_id'): number {
  const id = parseRouteId(value);
  if (id === undefined) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `${name} must be a positive integer up to ${MAX_ID}`, { code });
  }
  return id;
}

@Injectable()
export class PositiveIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown): number {
    return parseId(value);
  }
}
