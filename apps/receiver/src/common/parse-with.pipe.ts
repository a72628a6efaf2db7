import { Injectable, PipeTransform } from '@nestjs/common';

/**
 * Runs a pure parser (dto/*.ts) over a body or query. The parsers throw ApiError with a specific
 * message per mistake, which class-validator's generic messages could not give for image paths.
 */
@Injectable()
export class ParseWith<T> implements PipeTransform<unknown, T> {
  constructor(private readonly parse: (value: unknown) => T) {}

  transform(value: unknown): T {
    return this.parse(value);
  }
}
