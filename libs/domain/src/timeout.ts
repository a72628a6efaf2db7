import { CodedError } from './errors';

/** An awaited answer did not come in time ({@link withTimeout}). */
export class TimeoutError extends CodedError<'timeout'> {
  constructor(readonly timeoutMs: number) {
    super('timeout', `no answer within ${timeoutMs} ms`);
  }
}

/** `promise`, or a {@link TimeoutError} after `timeoutMs`; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(timeoutMs)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Lets pending I/O callbacks (deliveries, health checks) run between slices of a long computation. */
export const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Wait before the next try after the n-th failure (n ≥ 1): `baseMs` doubled per failure, capped at `maxMs`. */
export function cappedBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  // Beyond 2^30 the product only overflows toward Infinity; the cap applies anyway.
  return Math.min(baseMs * 2 ** Math.min(Math.max(0, failures - 1), 30), maxMs);
}
