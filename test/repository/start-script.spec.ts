/**
 * `npm start` (scripts/start.mjs): builds only when a build input changed since the last build, and waits for the
 * app it starts, passing SIGINT / SIGTERM on, so the prompt comes back only after the apps have shut down.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain ESM script (it runs before any TypeScript is built), without type declarations
import { staleBuildReason } from '../../scripts/start.mjs';

const SCRIPT = resolve(__dirname, '../../scripts/start.mjs');

describe('npm start', () => {
  const root = mkdtempSync(join(tmpdir(), 'visage-start-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const touch = (path: string, secondsAgo: number) => {
    const at = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, path), at, at);
  };

  it('builds when there is no build, skips an up-to-date one, and builds again after a source changed', () => {
    mkdirSync(join(root, 'libs/config/src'), { recursive: true });
    writeFileSync(join(root, 'libs/config/src/a.ts'), 'export {};\n');
    writeFileSync(join(root, 'package.json'), '{}\n');
    // Folders count too (a file added or removed changes its folder's time).
    for (const path of ['libs/config/src/a.ts', 'libs/config/src', 'libs/config', 'libs', 'package.json']) touch(path, 60);
    expect(staleBuildReason(root)).toBe('no complete build yet');

    mkdirSync(join(root, 'dist/apps/embedded/src'), { recursive: true });
    writeFileSync(join(root, 'dist/apps/embedded/src/main.js'), '');
    writeFileSync(join(root, 'dist/.build-stamp'), '');
    touch('dist/.build-stamp', 30);
    expect(staleBuildReason(root)).toBeUndefined();

    writeFileSync(join(root, 'libs/config/src/a.ts'), 'export const changed = true;\n');
    expect(staleBuildReason(root)).toBe('libs changed since the last build');
  });

  it('waits for the app to finish its shutdown after SIGINT, and exits with its code', async () => {
    const app = join(root, 'slow-stop.js');
    // Like the embedded app: on SIGINT it takes a while to stop, logs, then exits 0.
    writeFileSync(
      app,
      "process.on('SIGINT', () => setTimeout(() => { console.log('app stopped'); process.exit(0); }, 400));\n" +
        "console.log('app ready');\nsetInterval(() => {}, 1000);\n",
    );
    const launcher = spawn(process.execPath, [SCRIPT, app], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const ready = new Promise<void>((resolveReady) =>
      launcher.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('app ready')) resolveReady();
      }),
    );
    await ready;
    launcher.kill('SIGINT');
    const code = await new Promise<number | null>((resolveExit) => launcher.on('exit', resolveExit));
    // The launcher's own exit came after the app's last line, with the app's code.
    expect(output).toContain('app stopped');
    expect(code).toBe(0);
  });
});
