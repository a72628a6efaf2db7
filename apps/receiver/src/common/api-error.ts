import { HttpException, HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** Body of every error response: `{statusCode, error, message}`, plus `code` and `id` where they help. */
export class ApiErrorBody {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'HTTP reason phrase' })
  error!: string;

  @ApiProperty({ example: 'path must stay inside the images root' })
  message!: string;

  @ApiPropertyOptional({ example: 'outside_root', description: 'Stable machine-readable reason' })
  code?: string;

  @ApiPropertyOptional({ example: 17, description: 'Id of the existing resource (409 only)' })
  id?: number;
}

export function errorBody(status: number, message: string, extra: { code?: string; id?: number } = {}): ApiErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...extra };
}

/** A client mistake (4xx) with the uniform error body. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, message: string, extra: { code?: string; id?: number } = {}) {
    super(errorBody(status, message, extra), status);
  }
}
