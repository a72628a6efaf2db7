import type { RecognizerCredentials } from '../src/recognizer-credentials';

/** The recognizer token of every test that starts a recognizer and a client apart (both get the same env). */
export const TEST_RECOGNIZER_TOKEN = 'test-recognizer-token-not-secret-0123456789';

/** The environment a test recognizer and its clients need to trust each other. */
export const TEST_RECOGNIZER_ENV = { RECOGNIZER_TOKEN: TEST_RECOGNIZER_TOKEN } as const;

/** A test client's credentials: the token, no TLS. */
export const TEST_RECOGNIZER_CREDENTIALS: RecognizerCredentials = { token: TEST_RECOGNIZER_TOKEN };
