import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigrated } from '../../persistence/test/test-databases';
import { ApiKeyEntity } from '@visage/persistence';
import { TEST_ADMIN_KEY } from '../test/test-keys';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const KEY_PATTERN = /vsk_[A-Za-z0-9_-]{43}/g;

/** `npm run keys -- <args>` on the TypeScript source (vite-node, as the e2e tests run apps), with `env` added. */
async function runKeysCli(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code?: number }> {
  return promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/vite-node/vite-node.mjs'), '-c', 'vitest.config.ts', 'libs/auth/src/keys-cli.ts', ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'log', ...env },
      timeout: 60_000,
    },
  );
}

describe('npm run keys on a fresh database', () => {
  let directory: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'visage-keys-cli-'));
    env = { DATABASE_URL: `sqlite:${join(directory, 'visage.sqlite')}`, AUTH: 'on' };
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function storedKeys(): Promise<Array<Pick<ApiKeyEntity, 'name' | 'scope'>>> {
    const dataSource = await openMigrated({ type: 'sqlite', file: join(directory, 'visage.sqlite') });
    try {
      return (await dataSource.getRepository(ApiKeyEntity).find({ order: { id: 'ASC' } })).map(({ name, scope }) => ({ name, scope }));
    } finally {
      await dataSource.destroy();
    }
  }

  it('lists and creates keys without storing or printing an admin key (no admin-key bootstrap)', async () => {
    // Without ADMIN_API_KEY an app's first start generates an admin key and logs it: the CLI must not.
    const listed = await runKeysCli(['list'], { ...env, ADMIN_API_KEY: '' });
    expect(listed.stdout.trim()).toBe('no keys');
    expect(`${listed.stdout}${listed.stderr}`.match(KEY_PATTERN)).toBeNull();
    expect(await storedKeys()).toEqual([]);

    // With it (as in a deployment's environment) an app stores it at start: the CLI must not.
    const created = await runKeysCli(['create', '--name', 'ci', '--scope', 'submit'], { ...env, ADMIN_API_KEY: TEST_ADMIN_KEY });
    expect(created.stdout).toMatch(/^created key \d+ "ci" \(submit\)/);
    expect(`${created.stdout}${created.stderr}`.match(KEY_PATTERN)).toHaveLength(1);
    expect(`${created.stdout}${created.stderr}`).not.toMatch(/No admin API key existed|AUTH=off/);
    expect(await storedKeys()).toEqual([{ name: 'ci', scope: 'submit' }]);
  }, 120_000);

  it('exits 0 with the usage for --help, 2 for a bad scope (saying so), 1 when revoking a key that does not exist', async () => {
    const help = await runKeysCli(['--help'], env);
    expect(help.stdout).toContain('usage: npm run keys -- create');
    const failures = await Promise.all([
      runKeysCli(['create', '--name', 'ci', '--scope', 'root'], env).catch((error: { code: number; stderr: string }) => error),
      runKeysCli(['revoke', '999'], env).catch((error: { code: number; stderr: string }) => error),
    ]);
    expect(failures.map((failure) => [failure.code, failure.stderr.split('\n')[0]])).toEqual([
      [2, '--scope must be read, submit, admin, not "root"'],
      [1, 'there is no active key 999 (see npm run keys -- list)'],
    ]);
  }, 120_000);
});
