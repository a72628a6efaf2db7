/**
 * The CI scripts and npm scripts name test files and folders by path; vitest treats a path that matches nothing as a
 * filter that selects nothing, so a moved spec would silently drop out of `npm run test:labelled` or the Node 24
 * smoke run. Every path they name must exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const TEST_PATH = /(?:^|[\s"'])((?:apps|libs|test|bench|deploy)\/[\w./-]*)/g;

function namedPaths(text: string): string[] {
  return [...text.matchAll(TEST_PATH)].map((match) => match[1].replace(/\/$/, ''));
}

describe('paths named by CI and npm scripts', () => {
  const sources: Array<[string, string]> = [
    ['.ci/node24-smoke', readFileSync(join(ROOT, '.ci/node24-smoke'), 'utf8')],
    ['.ci/run', readFileSync(join(ROOT, '.ci/run'), 'utf8')],
    ['.ci/fresh-clone', readFileSync(join(ROOT, '.ci/fresh-clone'), 'utf8')],
    ...Object.entries((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts).map(
      ([name, script]): [string, string] => [`npm run ${name}`, script],
    ),
  ];

  it('finds the spec paths the Node 24 smoke run and test:labelled name', () => {
    expect(namedPaths(sources[0][1]).filter((path) => path.endsWith('.spec.ts')).length).toBeGreaterThan(5);
    expect(namedPaths(sources.find(([name]) => name === 'npm run test:labelled')![1]).length).toBeGreaterThan(1);
  });

  it.each(sources)('%s names only paths that exist', (_name, text) => {
    const missing = namedPaths(text).filter((path) => !path.startsWith('dist/') && !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });
});
