import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '@visage/config';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
const packageJson = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };

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
