import { join } from 'node:path';
import { parseConfig } from '@visage/config';
import { EmbeddedVisage, startEmbedded } from '../../apps/embedded/src/embedded';
import { TEST_AUTH_ENV } from '../../libs/auth/test/test-keys';

/** Polls `probe` every 250 ms until it returns a value, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The whole embedded stack on SQLite in `workDir` (images under `imagesRoot`), every port chosen by the system,
 * the gallery checked every 500 ms and one recognizer worker: what the browser tests drive.
 */
export async function startEmbeddedStack(workDir: string, imagesRoot: string): Promise<{ visage: EmbeddedVisage; receiver: string; dashboard: string }> {
  const config = {
    ...parseConfig({
      IMAGES_ROOT: imagesRoot,
      DATABASE_URL: `sqlite:${join(workDir, 'visage.sqlite')}`,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      GALLERY_REFRESH_MS: '500',
      RECOGNIZER_WORKERS: '1',
      ...TEST_AUTH_ENV,
    }),
    RECEIVER_PORT: 0,
    FRONTEND_PORT: 0,
    PROCESSOR_HEALTH_PORT: 0,
    FACE_RECOGNITION_PORT: 0,
    FACE_RECOGNITION_HEALTH_PORT: 0,
  };
  const visage = await startEmbedded(config, '127.0.0.1');
  return { visage, receiver: `http://127.0.0.1:${visage.ports.receiver}`, dashboard: `http://127.0.0.1:${visage.ports.frontend}` };
}
