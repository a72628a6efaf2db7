import { HttpStatus, Injectable, PipeTransform } from '@nestjs/common';
import { ApiError } from './api-error';

/** Ids are signed 32-bit INT columns. */
export const MAX_ID = 2_147_483_647;

/** Parses a route id: a decimal positive integer that fits the column, else 400 (never a lookup). */
export function parseId(value: unknown, name = 'id', code = 'invalid_id'): number {
  const text = typeof value === 'string' ? value : '';
  const id = /^[1-9]\d{0,9}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id) || id > MAX_ID) {
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
