// CI check (`.ci/run`): every commit subject after BASE_COMMIT is at most MAX_SUBJECT_LENGTH characters, details go
// in the body. Older history stays as it was: the base is the commit that brought in the formatter, the last one
// before the rule held on every branch merged.
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BASE_COMMIT = 'd870dbb';
export const MAX_SUBJECT_LENGTH = 72;

/**
 * The commits of `git log --format=%h%x09%s` output whose subject is longer than `max` characters (code points, so
 * "→" counts as one).
 */
export function longSubjects(log, max = MAX_SUBJECT_LENGTH) {
  return log
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => {
      const tab = line.indexOf('\t');
      return { commit: line.slice(0, tab), subject: line.slice(tab + 1) };
    })
    .filter(({ subject }) => [...subject].length > max);
}

function git(args, cwd) {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** Checks the repository at `cwd`; returns the exit code and prints what is wrong. */
export function checkCommitSubjects(cwd, base = BASE_COMMIT) {
  try {
    git(['cat-file', '-e', `${base}^{commit}`], cwd);
  } catch {
    console.error(`commit subjects: base commit ${base} is not in this clone (fetch the full history)`);
    return 1;
  }
  const long = longSubjects(git(['log', '--format=%h%x09%s', `${base}..HEAD`], cwd));
  for (const { commit, subject } of long) {
    console.error(`commit subjects: ${commit} has ${[...subject].length} characters (at most ${MAX_SUBJECT_LENGTH}): ${subject}`);
  }
  return long.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = checkCommitSubjects(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
}
