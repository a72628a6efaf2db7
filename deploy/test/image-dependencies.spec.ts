import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_NAMES, type AppName } from '../apps';
import { parseDockerfile, readRepoFile, REPO_ROOT, stageChain } from './support';

/**
 * Each image keeps only the packages its app loads (issue 20): the packages the Dockerfile prunes, computed by
 * deploy/docker/prune-node-modules.mjs from package-lock.json, checked against the packages each app's code imports
 * (followed from its main.ts through relative imports, @visage/* libs and worker files).
 */

const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const PRUNE_SCRIPT = 'deploy/docker/prune-node-modules.mjs';

interface PruneRun {
  packages: string[];
  /** `--move-to <dir>`: moved aside rather than deleted. */
  moveTo?: string;
  /** `--files-only <package>`: kept, but what it declares as dependencies is not followed. */
  filesOnly: string[];
}

/** The prune runs of a stage, as the script reads its arguments. */
function pruneRuns(stageName: string): PruneRun[] {
  const stage = dockerfile.stages.find((candidate) => candidate.name === stageName);
  return (stage?.instructions ?? [])
    .filter((instruction) => instruction.keyword === 'RUN' && instruction.args.includes(PRUNE_SCRIPT))
    .map((instruction) => {
      const words = instruction.args
        .slice(instruction.args.indexOf(PRUNE_SCRIPT) + PRUNE_SCRIPT.length)
        .split('&&')[0]
        .trim()
        .split(/\s+/);
      const run: PruneRun = { packages: [], filesOnly: [] };
      for (let index = 0; index < words.length; index++) {
        if (words[index] === '--move-to') run.moveTo = words[++index];
        else if (words[index] === '--files-only') run.filesOnly.push(words[++index]);
        else if (!words[index].startsWith('--')) run.packages.push(words[index]);
      }
      return run;
    });
}

/** What the runs remove and keep together, as the script computes it (`--dry-run`). */
function dryRun(runs: PruneRun[]): { remove: string[]; keep: string[] } {
  const args = runs.flatMap((run) => [...run.filesOnly.flatMap((name) => ['--files-only', name]), ...run.packages]);
  return JSON.parse(execFileSync(process.execPath, [PRUNE_SCRIPT, '--dry-run', ...args], { cwd: REPO_ROOT, encoding: 'utf8' })) as {
    remove: string[];
    keep: string[];
  };
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`; undefined for Node built-ins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return existsSync(resolve(REPO_ROOT, 'node_modules', name, 'package.json')) ? name : undefined;
}

// `require.resolve('<package>/…')` counts: the recognizer reads model files from packages it never loads as code.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]|\b(?:require(?:\.resolve)?|import)\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveSource(from: string, specifier: string): string | undefined {
  const base = specifier.startsWith('@visage/')
    ? resolve(REPO_ROOT, 'libs', specifier.slice('@visage/'.length), 'src')
    : resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

const manifest = JSON.parse(readRepoFile('package.json')) as { devDependencies: Record<string, string> };
const imageNode = `${/^node:(\d+)/.exec(dockerfile.globalArgs.NODE_IMAGE)?.[1]}.0.0`;

/**
 * The better-sqlite3 build the image's Node loads, asked of the apps' own rule (`betterSqlite3PackageFor`, run in a
 * child process: deploy/ imports no lib).
 */
const imageSqliteBuild = execFileSync(
  resolve(REPO_ROOT, 'node_modules/.bin/tsx'),
  [
    '-e',
    "import { betterSqlite3PackageFor } from './libs/persistence/src/data-source-options'; console.log(betterSqlite3PackageFor(process.argv[1]))",
    imageNode,
  ],
  { cwd: REPO_ROOT, encoding: 'utf8' },
).trim();

/**
 * The npm packages an app's code loads at run time in the image: type-only imports left out, and devDependencies
 * (tsx, required only when a worker runs from TypeScript sources), and of the two better-sqlite3 builds the one
 * the image's Node does not load.
 */
function packagesLoadedBy(app: AppName): Set<string> {
  const packages = importedPackages(app);
  for (const name of Object.keys(manifest.devDependencies)) packages.delete(name);
  for (const build of ['better-sqlite3', 'better-sqlite3-v13']) if (build !== imageSqliteBuild) packages.delete(build);
  return packages;
}

function importedPackages(app: AppName): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [resolve(REPO_ROOT, 'apps', app, 'src', 'main.ts')];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      if (match[1]) continue;
      const specifier = match[2] ?? match[3];
      if (specifier.startsWith('.') || specifier.startsWith('@visage/')) {
        const source = resolveSource(file, specifier);
        if (source) pending.push(source);
      } else {
        const name = packageOf(specifier);
        if (name) packages.add(name);
      }
    }
    // Worker threads start from a file named at run time (`match.worker.js`): its source is part of the app.
    const srcRoot = file.slice(0, file.indexOf('/src/') + '/src'.length);
    for (const [, name] of text.matchAll(/\b([\w-]+)\.worker\b/g)) {
      pending.push(...sourceFiles(srcRoot).filter((candidate) => basename(candidate) === `${name}.worker.ts`));
    }
  }
  return packages;
}

const sharedPrune = pruneRuns('prod-deps');
const appPrune = pruneRuns('app-deps');
const shared = dryRun(sharedPrune);
const apps = dryRun([...sharedPrune, ...appPrune]);
const installedPath = (name: string) => `node_modules/${name}`;
const RECOGNIZER_ONLY = /^node_modules\/(@tensorflow\/|@vladmandic\/|faceplugin-face-recognition-js$)/;
const FACEPLUGIN = 'faceplugin-face-recognition-js';

describe('per-image dependencies', () => {
  it('prunes in two places: for every image (prod-deps), and aside for the recognizer alone (app-deps)', () => {
    expect(sharedPrune).toHaveLength(1);
    expect(sharedPrune[0].moveTo).toBeUndefined();
    expect(appPrune).toHaveLength(1);
    expect(appPrune[0].moveTo).toBe('/recognizer-deps');
    expect(dockerfile.stages.find((stage) => stage.name === 'app-deps')?.from).toBe('prod-deps');
    // faceplugin's package is read for its model file only: its dependencies are not followed anywhere.
    expect(sharedPrune[0].filesOnly).toEqual([FACEPLUGIN]);
    expect(appPrune[0].packages).toContain(FACEPLUGIN);
  });

  it.each(APP_NAMES.filter((app) => app !== 'face-recognition'))(
    'the %s image has no TensorFlow.js, no face-api, no faceplugin, no unused better-sqlite3, and every package its code loads',
    (app) => {
      const kept = new Set(apps.keep);
      expect(apps.keep.filter((path) => RECOGNIZER_ONLY.test(path))).toEqual([]);
      expect(kept.has(installedPath(FACEPLUGIN))).toBe(false);
      expect(kept.has('node_modules/better-sqlite3')).toBe(false);
      const loaded = packagesLoadedBy(app);
      // The scan sees through the libs to the drivers and native modules.
      for (const name of ['@nestjs/core', 'typeorm', 'mysql2', 'better-sqlite3-v13', 'onnxruntime-node', 'sharp'])
        expect(loaded.has(name), `${app} loads ${name}`).toBe(true);
      for (const name of loaded) expect(kept.has(installedPath(name)), `${app} loads ${name}`).toBe(true);
      // Its node_modules are the pruned ones.
      const copies = stageChain(dockerfile, app)
        .flatMap((stage) => stage.instructions)
        .filter((instruction) => instruction.keyword === 'COPY' && instruction.args.includes('node_modules'));
      expect(copies.map((copy) => copy.args)).toEqual(['--from=app-deps /app/node_modules ./node_modules']);
    },
  );

  it('the recognizer image gets back what was moved aside: TensorFlow.js with the WASM fallback, face-api and faceplugin, which it loads', () => {
    const loaded = packagesLoadedBy('face-recognition');
    expect(loaded.has('better-sqlite3-v13') || !loaded.has('better-sqlite3'), 'only the better-sqlite3 the image loads').toBe(true);
    // faceplugin through require.resolve: the `mobilefacenet` recipe's model file (Dockerfile.spec checks the file stays).
    for (const name of ['@vladmandic/face-api', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node', 'sharp', FACEPLUGIN])
      expect(loaded.has(name), name).toBe(true);
    const available = new Set([...apps.keep, ...apps.remove.filter((path) => !shared.remove.includes(path))]);
    for (const name of loaded) expect(available.has(installedPath(name)), `the recognizer loads ${name}`).toBe(true);
    const copies = stageChain(dockerfile, 'face-recognition')
      .flatMap((stage) => stage.instructions)
      .filter((instruction) => instruction.keyword === 'COPY' && instruction.args.includes('node_modules'))
      .map((copy) => copy.args);
    expect(copies).toContain('--from=app-deps /recognizer-deps/node_modules ./node_modules');
    // 290 MB of TensorFlow.js is the recognizer's alone.
    expect(apps.remove.filter((path) => RECOGNIZER_ONLY.test(path)).length).toBeGreaterThanOrEqual(8);
  });

  it("no image carries the build tools faceplugin declares as dependencies, nor the overrides' links to the npm stub", () => {
    const lock = JSON.parse(readRepoFile('package-lock.json')) as {
      packages: Record<string, { dependencies?: Record<string, string>; link?: boolean; resolved?: string }>;
    };
    const declared = Object.keys(lock.packages[installedPath(FACEPLUGIN)]?.dependencies ?? {});
    expect(declared).toEqual(expect.arrayContaining(['eslint', 'terser-webpack-plugin', 'onnxruntime-web']));
    const links = Object.entries(lock.packages)
      .filter(([, entry]) => entry.link)
      .map(([path]) => path);
    expect(links.length).toBeGreaterThan(0);
    // webpack and terser: what terser-webpack-plugin (pinned by the overrides, not stubbed) brings.
    const tools = [...declared.map(installedPath), ...links, 'node_modules/webpack', 'node_modules/terser'];
    const recognizerOnly = apps.remove.filter((path) => !shared.remove.includes(path));
    for (const path of tools) {
      expect(apps.keep, `${path} in every image`).not.toContain(path);
      expect(recognizerOnly, `${path} in the recognizer's image`).not.toContain(path);
    }
    // Without --files-only they would all be kept: eslint, webpack, terser and what they need, over 100 packages.
    const followed = dryRun(sharedPrune.map((run) => ({ ...run, filesOnly: [] })));
    expect(followed.keep.length - shared.keep.length).toBeGreaterThan(100);
  });

  it("keeps one better-sqlite3: the build this image's Node loads, with this platform's prebuilt binding only", () => {
    expect(imageSqliteBuild).toBe('better-sqlite3-v13');
    expect(shared.remove).toContain('node_modules/better-sqlite3');
    expect(shared.keep).toContain('node_modules/better-sqlite3-v13');
    // prebuild-install and the like, which only better-sqlite3 12's install needed, go with it.
    expect(shared.remove).toContain('node_modules/prebuild-install');
    // The RUN's prebuild pruning, on a mock tree.
    const run = dockerfile.stages
      .find((stage) => stage.name === 'prod-deps')!
      .instructions.find((instruction) => instruction.keyword === 'RUN' && instruction.args.includes(PRUNE_SCRIPT))!;
    const pruneFiles = run.args.split('&&').slice(1).join('&&');
    const tree = mkdtempSync(join(tmpdir(), 'sqlite-prune-'));
    const prebuilds = ['linux-x64', 'linux-arm64', 'linuxmusl-x64', 'darwin-arm64', 'win32-x64'];
    mkdirSync(join(tree, 'node_modules/better-sqlite3-v13/prebuilds'), { recursive: true });
    for (const name of prebuilds) writeFileSync(join(tree, 'node_modules/better-sqlite3-v13/prebuilds', `${name}.node`), '');
    for (const directory of ['deps', 'src', 'build', 'lib']) mkdirSync(join(tree, 'node_modules/better-sqlite3-v13', directory));
    execFileSync('sh', ['-c', pruneFiles], { cwd: tree });
    expect(readdirSync(join(tree, 'node_modules/better-sqlite3-v13/prebuilds'))).toEqual([`linux-${process.arch}.node`]);
    expect(readdirSync(join(tree, 'node_modules/better-sqlite3-v13')).sort()).toEqual(['lib', 'prebuilds']);
    rmSync(tree, { recursive: true, force: true });
  });

  it('the prune script moves the packages aside with their relative paths, and refuses what is not a dependency', () => {
    const tree = mkdtempSync(join(tmpdir(), 'prune-'));
    const lock = {
      packages: {
        '': {},
        'node_modules/app-lib': { dependencies: { shared: '1' } },
        'node_modules/heavy': { dependencies: { shared: '1', 'heavy-only': '1' } },
        'node_modules/heavy/node_modules/nested': {},
        'node_modules/heavy-only': {},
        'node_modules/shared': {},
        'node_modules/tool': { dev: true },
      },
    };
    writeFileSync(join(tree, 'package.json'), JSON.stringify({ dependencies: { 'app-lib': '1', heavy: '1' }, devDependencies: { tool: '1' } }));
    writeFileSync(join(tree, 'package-lock.json'), JSON.stringify(lock));
    for (const path of Object.keys(lock.packages).filter(Boolean)) mkdirSync(join(tree, path), { recursive: true });
    const script = resolve(REPO_ROOT, PRUNE_SCRIPT);
    execFileSync(process.execPath, [script, '--move-to', 'aside', 'heavy'], { cwd: tree });
    const listed = (root: string) => sourceTree(join(tree, root)).map((path) => relative(join(tree, root), path));
    expect(listed('node_modules').sort()).toEqual(['app-lib', 'shared', 'tool']);
    expect(listed('aside/node_modules').sort()).toEqual(['heavy', 'heavy-only']);
    expect(existsSync(join(tree, 'aside/node_modules/heavy/node_modules/nested'))).toBe(true);
    expect(() => execFileSync(process.execPath, [script, 'tool'], { cwd: tree, stdio: 'pipe' })).toThrow(/not a production dependency/);
    rmSync(tree, { recursive: true, force: true });
  });

  it('the prune script keeps a --files-only package and drops what only its dependencies need, dangling links too', () => {
    const tree = mkdtempSync(join(tmpdir(), 'prune-files-'));
    const lock = {
      packages: {
        '': {},
        'node_modules/app-lib': { dependencies: { shared: '1' } },
        'node_modules/models': { dependencies: { shared: '1', builder: '1', stubbed: '1' } },
        'node_modules/builder': { dependencies: { 'builder-only': '1' } },
        'node_modules/builder-only': {},
        'node_modules/shared': {},
        'node_modules/stubbed': { resolved: 'stub', link: true },
        stub: {},
      },
    };
    writeFileSync(join(tree, 'package.json'), JSON.stringify({ dependencies: { 'app-lib': '1', models: '1' } }));
    writeFileSync(join(tree, 'package-lock.json'), JSON.stringify(lock));
    for (const path of ['app-lib', 'models', 'builder', 'builder-only', 'shared']) mkdirSync(join(tree, 'node_modules', path), { recursive: true });
    // As in an image that has no stub/: the link dangles.
    symlinkSync('../stub', join(tree, 'node_modules/stubbed'));
    const script = resolve(REPO_ROOT, PRUNE_SCRIPT);
    execFileSync(process.execPath, [script, '--files-only', 'models'], { cwd: tree });
    expect(readdirSync(join(tree, 'node_modules')).sort()).toEqual(['app-lib', 'models', 'shared']);
    expect(() => execFileSync(process.execPath, [script, '--files-only'], { cwd: tree, stdio: 'pipe' })).toThrow(/usage/);
    rmSync(tree, { recursive: true, force: true });
  });
});

function sourceTree(directory: string): string[] {
  return readdirSync(directory).map((name) => join(directory, name));
}
