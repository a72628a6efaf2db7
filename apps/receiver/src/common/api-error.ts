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

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    example: [{ faceId: 60, reasons: [{ code: 'nearer_other_person', personId: 4, personName: 'Grace', distance: 0.41 }] }],
    description: 'Faces that need confirming, and why (409 faces_need_confirmation only): see docs/receiver.md, "Review checks"',
  })
  faces?: unknown[];
}

/** What an error body may carry beyond status and message. */
export interface ApiErrorExtra {
  code?: string;
  id?: number;
  faces?: unknown[];
}

export function errorBody(status: number, message: string, extra: ApiErrorExtra = {}): ApiErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...extra };
}

/** A client mistake (4xx) with the uniform error body. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, message: string, extra: ApiErrorExtra = {}) {
    super(errorBody(status, message, extra), status);
  }
}
