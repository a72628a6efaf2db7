/**
 * The one way test harnesses authenticate: every test app is started with ADMIN_API_KEY = TEST_ADMIN_KEY and
 * its HTTP helpers send it. AUTH=off appears only in tests about AUTH=off.
 */
export const TEST_ADMIN_KEY = 'vsk_test-admin-key-not-secret-0123456789abcdef';

/** `Authorization: Bearer <key>`. */
export function bearer(key: string = TEST_ADMIN_KEY): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/** The environment a test app needs to accept TEST_ADMIN_KEY. */
export const TEST_AUTH_ENV = { ADMIN_API_KEY: TEST_ADMIN_KEY } as const;
