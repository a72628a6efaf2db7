import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { describeError } from '@visage/domain';
import { ApiErrorBody, errorBody } from './api-error';

interface JsonResponse {
  status(code: number): JsonResponse;
  json(body: unknown): void;
  headersSent?: boolean;
}

function toBody(exception: HttpException): ApiErrorBody {
  const response = exception.getResponse() as Partial<ApiErrorBody> | string;
  const extra: { code?: string; id?: number } = {};
  if (typeof response === 'object' && typeof response.code === 'string') extra.code = response.code;
  if (typeof response === 'object' && typeof response.id === 'number') extra.id = response.id;
  return errorBody(exception.getStatus(), describeError(exception), extra);
}

/**
 * Every error leaves as `{statusCode, error, message}` JSON. Client mistakes keep their status and
 * message; anything unexpected becomes a plain 500 (logged here with its stack, never sent).
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Receiver');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<JsonResponse>();
    if (response.headersSent) return;
    if (exception instanceof HttpException) {
      response.status(exception.getStatus()).json(toBody(exception));
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json(errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'internal server error'));
  }
}
