import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { describeError } from '@visage/domain';
import { PersistenceError, PersistenceErrorCode } from '@visage/persistence';
import { ImagePathError } from '@visage/storage';
import { IMAGE_PATH_PROBLEM_STATUS } from '@visage/validation';
import { ApiErrorBody, ApiErrorExtra, errorBody } from './api-error';

interface JsonResponse {
  status(code: number): JsonResponse;
  json(body: unknown): void;
  headersSent?: boolean;
}

/**
 * The code of a client error raised by Nest itself rather than by our code (which always names one): the router's
 * 404 for an unknown route or method, otherwise the reason phrase in snake case (`method_not_allowed`).
 */
function codeOfUncodedClientError(status: number): string {
  if (status === HttpStatus.NOT_FOUND) return 'route_not_found';
  return (STATUS_CODES[status] ?? 'client_error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

function toBody(exception: HttpException): ApiErrorBody {
  const response = exception.getResponse() as Partial<ApiErrorBody> | string;
  const status = exception.getStatus();
  const extra: ApiErrorExtra = {};
  if (typeof response === 'object' && typeof response.code === 'string') extra.code = response.code;
  else if (status < 500) extra.code = codeOfUncodedClientError(status);
  if (typeof response === 'object' && typeof response.id === 'number') extra.id = response.id;
  if (typeof response === 'object' && Array.isArray(response.faces)) extra.faces = response.faces;
  return errorBody(status, describeError(exception), extra);
}

/** The receiver's status for each persistence code that reaches it (a race the client can retry or act on). */
const PERSISTENCE_ERROR_STATUS: Record<PersistenceErrorCode, HttpStatus> = {
  person_deleted: HttpStatus.CONFLICT,
  duplicate_name: HttpStatus.CONFLICT,
  database_busy: HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * The receiver's JSON mapper: the answer to an error a client should see — Nest's and our HTTP exceptions, and
 * the domain errors with a code (image paths, persistence) through their status tables — or undefined for anything
 * unexpected (a 500 whose details stay in the log). Also used for each item of a batch.
 */
export function errorBodyOf(exception: unknown): ApiErrorBody | undefined {
  if (exception instanceof HttpException) return toBody(exception);
  if (exception instanceof ImagePathError) return errorBody(IMAGE_PATH_PROBLEM_STATUS[exception.code], exception.message, { code: exception.code });
  if (exception instanceof PersistenceError) return errorBody(PERSISTENCE_ERROR_STATUS[exception.code], exception.message, { code: exception.code });
  return undefined;
}

/**
 * Every error leaves as `{statusCode, error, message}` JSON. Client mistakes keep their status and
 * message and always carry a `code`; anything unexpected becomes a plain 500 (logged here with its stack, never sent).
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Receiver');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<JsonResponse>();
    if (response.headersSent) return;
    const body = errorBodyOf(exception);
    if (body) {
      response.status(body.statusCode).json(body);
      return;
    }
    this.logger.error(describeError(exception), exception instanceof Error ? exception.stack : undefined);
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json(errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'internal server error'));
  }
}
