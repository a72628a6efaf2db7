/** The CI check of commit subjects (scripts/commit-subjects.mjs, run by `.ci/run`). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
// @ts-expect-error a plain ESM script (CI runs it before anything is built), without type declarations
import { checkCommitSubjects, longSubjects } from '../../scripts/commit-subjects.mjs';

describe('commit subjects', () => {
  it('counts characters, not bytes, and allows exactly 72', () => {
    const log = [`aaa1111\t${'x'.repeat(72)}`, `bbb2222\t${'→'.repeat(72)}`, `ccc3333\t${'y'.repeat(73)}`, ''].join('\n');
    expect(longSubjects(log)).toEqual([{ commit: 'ccc3333', subject: 'y'.repeat(73) }]);
  });

  describe('in a repository', () => {
    const repo = mkdtempSync(join(tmpdir(), 'visage-subjects-'));
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    afterAll(() => {
      quiet.mockRestore();
      rmSync(repo, { recursive: true, force: true });
    });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd: repo, encoding: 'utf8' }).trim();
    const commit = (subject: string) =>
      git('commit', '--allow-empty', '-q', '-m', subject, '-m', 'A body line may be as long as it likes, it is not the subject.');

    it('refuses a long subject after the base and ignores the ones before it', () => {
      git('init', '-q');
      commit(`before the rule: ${'z'.repeat(80)}`);
      const base = git('rev-parse', 'HEAD');
      commit('A short subject');
      expect(checkCommitSubjects(repo, base)).toBe(0);
      commit(`After the rule, too long: ${'w'.repeat(60)}`);
      expect(checkCommitSubjects(repo, base)).toBe(1);
      expect(checkCommitSubjects(repo, 'f'.repeat(40))).toBe(1); // a base this clone lacks is an error, not a pass
    });
  });
});
