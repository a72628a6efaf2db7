import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { actorOf, AuthenticatedRequest } from './principal';

/** The audit log's actor of the request (`key:<id>`, or `anonymous` with AUTH=off). */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  actorOf(context.switchToHttp().getRequest<AuthenticatedRequest>().principal),
);
