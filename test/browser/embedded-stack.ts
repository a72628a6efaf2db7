import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext } from 'playwright-core';
import { parseConfig } from '@visage/config';
import { EmbeddedVisage, startEmbedded } from '../../apps/embedded/src/embedded';
import { bearer, TEST_AUTH_ENV } from '../../libs/auth/test/test-keys';
import { Fixture, writeFixture } from '../support/fixtures';
import { launchChromium, signInBrowser } from './chromium';
import { until } from '../support/until';

/**
 * The whole embedded stack on SQLite in `workDir` (images under `imagesRoot`), every port chosen by the system,
 * the gallery checked every 500 ms and one recognizer worker: what the browser tests drive.
 */
export async function startEmbeddedStack(
  workDir: string,
  imagesRoot: string,
): Promise<{ visage: EmbeddedVisage; receiver: string; dashboard: string }> {
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
  const visage = await startEmbedded(config, { host: '127.0.0.1' });
  return { visage, receiver: `http://127.0.0.1:${visage.ports.receiver}`, dashboard: `http://127.0.0.1:${visage.ports.frontend}` };
}

/** The embedded stack as a browser test drives it: its URLs and a Chromium signed in to its dashboard. */
export interface BrowserStack {
  visage: EmbeddedVisage;
  receiver: string;
  dashboard: string;
  context: BrowserContext;
  /** Closes the browser and the stack and removes the work folder. */
  close(): Promise<void>;
}

/**
 * Starts the embedded stack in a new temporary folder with `files` (path under the images root → fixture) in place,
 * waits until the processor has enrolled `knownFaces` (person → faces from known/; the models load in the
 * background first), and signs a fresh Chromium in to the dashboard. What was started is stopped if a step fails.
 */
export async function startBrowserStack(files: Record<string, Fixture>, knownFaces: Record<string, number>): Promise<BrowserStack> {
  const workDir = mkdtempSync(join(tmpdir(), 'visage-browser-'));
  const imagesRoot = join(workDir, 'images');
  let visage: EmbeddedVisage | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    await visage?.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    for (const [target, source] of Object.entries(files)) await writeFixture(source, join(imagesRoot, target));
    const started = await startEmbeddedStack(workDir, imagesRoot);
    visage = started.visage;
    await until(
      async () => {
        const { items } = (await (await fetch(`${started.receiver}/persons`, { headers: bearer() })).json()) as {
          items: Array<{ name: string; knownFaceCount: number }>;
        };
        const enrolled = (name: string) => items.find((person) => person.name === name)?.knownFaceCount ?? 0;
        return Object.entries(knownFaces).every(([name, count]) => enrolled(name) === count) ? true : undefined;
      },
      'the known faces to be enrolled',
      240_000,
    );
    context = await launchChromium(join(workDir, 'chromium'));
    await signInBrowser(context, started.dashboard);
    return { ...started, context, close };
  } catch (error) {
    await close();
    throw error;
  }
}
