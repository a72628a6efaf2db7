/**
 * Waiting in tests: the one polling helper and the one sleep. Not timing assertions: a bound is only there so a
 * bug fails the test with what it waited for instead of hanging it.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every `everyMs` until it returns a truthy value, and returns that value. A condition that
 * throws is asked again (a service still starting refuses connections); after `timeoutMs` the test fails with
 * `what` and the last error.
 */
export async function until<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 60_000, everyMs = 50): Promise<NonNullable<T>> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await sleep(everyMs);
  }
}
