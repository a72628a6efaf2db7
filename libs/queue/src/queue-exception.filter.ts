import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter turns any non-RpcException into "Internal server error", so the transport (and the
 * dead letter's `error`) would lose the reason. Register this on queue consumers to pass errors through as thrown:
 * `@UseFilters(QueueExceptionFilter)` on the handler class, or `microservice.useGlobalFilters(new QueueExceptionFilter())`.
 */
@Catch()
export class QueueExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
