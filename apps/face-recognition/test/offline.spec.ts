import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../../../test/support/fixtures';

/**
 * "Nothing leaves the host": a recognizer in a network namespace of its own (only loopback, no route out) whose
 * resolver is a recorder on 127.0.0.1:53 asks no name during a run and `OFFLINE_WAIT_MS` after it (ONNX
 * Runtime's telemetry, when on, looked its host up 11–37 s after start). Needs unprivileged user and network
 * namespaces (`unshare -rnm`) and `ip`.
 */
const REPO = resolve(__dirname, '../../..');
const WAIT_MS = Number(process.env.OFFLINE_WAIT_MS ?? 40_000);
const isolationWorks = spawnSync('unshare', ['-rnm', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;
if (!isolationWorks) console.warn('offline.spec.ts skipped: this platform cannot create user and network namespaces (unshare -rnm)');

describe.skipIf(!isolationWorks)('a recognizer in a network namespace without routes', () => {
  const directory = mkdtempSync(join(tmpdir(), 'visage-offline-'));
  writeFileSync(join(directory, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  /** Runs test/support/offline-recognizer.ts isolated, resolving names through the recorder; its report. */
  function runIsolated(mode: 'probe' | 'recognizer'): { faces: number; questions: string[] } {
    const script = [
      'ip link set lo up',
      `mount --bind ${JSON.stringify(join(directory, 'resolv.conf'))} /etc/resolv.conf`,
      'exec node --require ./test/support/swc-register.cjs apps/face-recognition/test/support/offline-recognizer.ts "$@"',
    ].join(' && ');
    const child = spawnSync('unshare', ['-rnm', 'sh', '-c', script, 'sh', mode, directory, String(WAIT_MS)], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: WAIT_MS + 90_000,
    });
    expect(child.status, child.stderr).toBe(0);
    return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { faces: number; questions: string[] };
  }

  it('hears a lookup when one is made (the recorder works)', () => {
    expect(runIsolated('probe').questions).toContain('example.com');
  });

  it(
    'analyses an image and asks for no name, during the run or after',
    async () => {
      await writeFixture('astronaut.png', join(directory, 'face.png'));
      const report = runIsolated('recognizer');
      expect(report.faces).toBe(1);
      expect(report.questions).toEqual([]);
    },
    WAIT_MS + 120_000,
  );
});
