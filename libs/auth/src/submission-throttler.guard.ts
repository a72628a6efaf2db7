import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { declaredAccess } from '@visage/access';
import { TooManyRequestsError } from './auth-failure-limiter';
import { GuardedRequest } from './api-key.guard';
import { clientAddress } from './client-address';

/**
 * Submissions per API key (RATE_LIMIT_SUBMIT_PER_MINUTE): only routes declared `@Scope('submit')` count; the
 * tracker is the key (the client address with AUTH=off). Registered after ApiKeyGuard, which sets the key.
 */
@Injectable()
export class SubmissionThrottlerGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(declaredAccess(this.reflector, context) !== 'submit');
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const guarded = request as unknown as GuardedRequest;
    return Promise.resolve(guarded.principal ? `key:${guarded.principal.keyId}` : `address:${clientAddress(guarded)}`);
  }

  protected override throwThrottlingException(_context: ExecutionContext, _detail: ThrottlerLimitDetail): Promise<void> {
    // ThrottlerGuard has set Retry-After already.
    throw new TooManyRequestsError('too many submissions with this key; retry after Retry-After seconds', 'rate_limited');
  }
}
