import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ConfigService } from '@visage/config';

const WINDOW_MS = 60_000;
const THROTTLER = 'auth-failures';

interface RetryAfterResponse {
  setHeader(name: string, value: string): unknown;
}

/** 429 with the uniform error body; the caller has set Retry-After. */
export class TooManyRequestsError extends HttpException {
  constructor(message: string, code: string) {
    super({ statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message, code }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Failed authentications per client address (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE), counted in
 * @nestjs/throttler's storage: past the limit the address's *failures* are refused with 429 and Retry-After for a
 * minute. A valid credential is never refused, so key-less or forged requests from an address (a web page on the
 * same host, a shared NAT) cannot lock a valid key or the dashboard out. Per process, like the throttler's storage.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly limit: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    config: ConfigService,
  ) {
    this.limit = config.get('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE');
  }

  /**
   * Runs `authenticate` and returns what it found. A success is returned whatever the address did before; a
   * failure (undefined) is refused with 429 while the address is blocked, else counted (429 once it crosses the
   * limit) and returned as undefined for the caller's own 401.
   */
  async authenticate<Principal>(
    address: string,
    response: RetryAfterResponse,
    authenticate: () => Promise<Principal | undefined>,
  ): Promise<Principal | undefined> {
    const principal = await authenticate();
    if (principal !== undefined) return principal;
    this.assertAllowed(address, response);
    await this.recordFailure(address, response);
    return undefined;
  }

  /** Throws 429 (Retry-After set) while `address` is blocked. */
  private assertAllowed(address: string, response: RetryAfterResponse): void {
    const record = this.storage instanceof ThrottlerStorageService ? this.storage.storage.get(this.key(address)) : undefined;
    const remainingMs = record?.isBlocked ? record.blockExpiresAt - Date.now() : 0;
    if (remainingMs > 0) this.refuse(Math.ceil(remainingMs / 1000), response);
  }

  /** Counts a failure; throws 429 (Retry-After set) when it crossed the limit. */
  private async recordFailure(address: string, response: RetryAfterResponse): Promise<void> {
    const record = await this.storage.increment(this.key(address), WINDOW_MS, this.limit, WINDOW_MS, THROTTLER);
    if (record.isBlocked) this.refuse(record.timeToBlockExpire, response);
  }

  private refuse(retryAfterSeconds: number, response: RetryAfterResponse): never {
    response.setHeader('Retry-After', String(Math.max(1, retryAfterSeconds)));
    throw new TooManyRequestsError('too many failed authentications from this address; retry later', 'auth_rate_limited');
  }

  private key(address: string): string {
    return `${THROTTLER}:${address}`;
  }
}
