import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(__dirname, '../..');
const architecture = readFileSync(resolve(REPO_ROOT, 'docs/architecture.md'), 'utf8');

/** The numbered lib layers of architecture.md's "Layers" section, each as its backticked lib names. */
function documentedLayers(): string[][] {
  const section = architecture.slice(architecture.indexOf('### Layers'), architecture.indexOf('**Glossary'));
  return [...section.matchAll(/^\d+\. (.*)$/gm)]
    .map((match) => match[1]!)
    .filter((line) => !line.startsWith('apps'))
    .map((line) => [...line.split(' — ')[0]!.matchAll(/`([a-z-]+)`/g)].map((name) => name[1]!));
}

describe('docs/architecture.md', () => {
  it('draws the lib layers the lint config keeps (LIB_LAYERS in eslint.config.mjs)', async () => {
    const { LIB_LAYERS } = (await import(pathToFileURL(resolve(REPO_ROOT, 'eslint.config.mjs')).href)) as { LIB_LAYERS: string[][] };
    expect(documentedLayers()).toEqual(LIB_LAYERS);
  });
});
