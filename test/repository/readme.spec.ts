import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '@visage/config';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
const packageJson = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(resolve(__dirname, '../../package-lock.json'), 'utf8')) as {
  packages: Record<string, { name?: string; hasInstallScript?: boolean }>;
};

/** Rows of the README's configuration table: `| \`NAME\` | default | meaning |`. */
function configRows(): Map<string, string> {
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Tests'));
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

describe('README', () => {
  it('documents every configuration variable, and only those', () => {
    expect([...configRows().keys()].sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('states the defaults the code applies', () => {
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    for (const [name, documented] of configRows()) {
      const value = defaults[name];
      if (typeof value !== 'string' && typeof value !== 'number') continue; // unset / derived defaults
      expect(documented.match(/`([^`]+)`/)?.[1], name).toBe(String(value));
    }
  });

  it('names npm scripts that exist', () => {
    for (const match of readme.matchAll(/npm (?:run )?([a-z:-]+)/g)) {
      const script = match[1]!;
      if (['ci', 'install'].includes(script)) continue;
      expect(packageJson.scripts, `npm ${script}`).toHaveProperty(script);
    }
  });
});

describe('package.json allowScripts (npm 11 warns about install scripts it does not cover; npm 12 skips them)', () => {
  /** Every package of the lockfile with an install script, by its real name (an alias installs under another path). */
  const withInstallScripts = [
    ...new Set(
      Object.entries(lock.packages)
        .filter(([, entry]) => entry.hasInstallScript)
        .map(([path, entry]) => entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
    ),
  ].sort();

  it('covers every dependency with an install script, by name, and nothing else', () => {
    expect(withInstallScripts.length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(packageJson.allowScripts).sort()).toEqual(withInstallScripts);
  });

  it('allows the scripts that build or fetch what Visage runs, and only skips banners and analytics', () => {
    for (const needed of ['better-sqlite3', 'onnxruntime-node', 'protobufjs', 'esbuild', '@swc/core', '@tensorflow/tfjs-node']) {
      expect(packageJson.allowScripts[needed], needed).toBe(true);
    }
    expect(
      Object.entries(packageJson.allowScripts)
        .filter(([, allowed]) => !allowed)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['@scarf/scarf', 'core-js']);
  });
});
