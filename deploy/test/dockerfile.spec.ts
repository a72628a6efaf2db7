import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { parseConfig, type VisageConfig } from '@visage/config';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_NAMES, DEPLOYABLE_APPS, HEALTH_PATHS, MIGRATION, WORKER_MALLOC_ENV } from '../apps';
import { parseDockerfile, readRepoFile, REPO_ROOT, stageChain, type DockerStage } from './support';

/** Static checks of the Dockerfile (no Docker engine here), and the HEALTHCHECK script run for real. */

const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const defaults = parseConfig({}, '/app');
const COMPILERS = /\b(g\+\+|gcc|clang|make|build-essential|python3?|node-gyp)\b/;

function instructions(chain: DockerStage[], keyword: string): string[] {
  return chain.flatMap((stage) => stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args));
}

/** The last instruction of a kind wins along the chain (the nearest stage first). */
function effective(chain: DockerStage[], keyword: string): string | undefined {
  for (const stage of chain) {
    const found = stage.instructions.filter((instruction) => instruction.keyword === keyword);
    if (found.length > 0) return found[found.length - 1].args;
  }
  return undefined;
}

function execForm(args: string | undefined): string[] {
  return JSON.parse(args ?? 'null') as string[];
}

const targets = [...APP_NAMES, MIGRATION.name];

/**
 * Where a COPY from the build context puts `file` (a context path), relative to `workdir`; undefined when it does
 * not copy it. Sources are a file, a directory above it or `.`; a destination ending in `/` is a directory.
 */
function landingOf(copy: string, file: string, workdir: string): string | undefined {
  if (copy.includes('--from=')) return undefined;
  const words = copy.split(/\s+/).filter((word) => !word.startsWith('--'));
  const destination = words[words.length - 1];
  const target = posix.resolve(workdir, destination);
  for (const source of words.slice(0, -1).map((word) => posix.normalize(word).replace(/\/+$/, ''))) {
    if (source === file) return posix.relative(workdir, destination.endsWith('/') ? posix.join(target, posix.basename(file)) : target);
    if (source === '.' || file.startsWith(`${source}/`))
      return posix.relative(workdir, posix.join(target, source === '.' ? file : file.slice(source.length + 1)));
  }
  return undefined;
}

/** The recognizer's `mobilefacenet` model as it finds it (mobileFaceNetModelPath, in a child process: deploy/ imports no app). */
function recognizerModelPath(): string {
  const path = execFileSync(
    resolve(REPO_ROOT, 'node_modules/.bin/tsx'),
    ['-e', "import { mobileFaceNetModelPath } from './apps/face-recognition/src/engine/runtime'; console.log(mobileFaceNetModelPath())"],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  ).trim();
  return path.slice(path.lastIndexOf('node_modules/'));
}

/** .dockerignore semantics as Docker applies them: last matching line wins, `!` re-includes, a dir covers its files. */
function dockerIgnored(path: string): boolean {
  const rules = readRepoFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const escape = (part: string) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]');
      // `**/` is zero or more directories; any other `**` is anything.
      const source = pattern
        .split('**/')
        .map((piece) => piece.split('**').map(escape).join('.*'))
        .join('(.*/)?');
      return { negated, regex: new RegExp(`^${source}(/.*)?$`) };
    });
  let ignored = false;
  for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negated;
  return ignored;
}

describe('Dockerfile', () => {
  it('has no syntax or instruction errors (dockerfile-utils, the Docker language server validator)', () => {
    const problems = validateDockerfile(readRepoFile('Dockerfile')).map(
      (diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`,
    );
    expect(problems).toEqual([]);
  });

  it('builds with the classic builder too (docker-compose 1.29 without BuildKit): no BuildKit-only syntax', () => {
    const text = readRepoFile('Dockerfile');
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
    // The classic builder knows no RUN flags (--mount, --network, --security), no heredocs, and only --from/--chown on COPY.
    const all = dockerfile.stages.flatMap((stage) => stage.instructions);
    expect(all.filter((instruction) => instruction.keyword === 'RUN' && /^--/.test(instruction.args)).map((instruction) => instruction.args)).toEqual(
      [],
    );
    expect(all.filter((instruction) => /<<-?\s*['"]?\w+/.test(instruction.args)).map((instruction) => instruction.args)).toEqual([]);
    const copyFlags = all
      .filter((instruction) => instruction.keyword === 'COPY' || instruction.keyword === 'ADD')
      .flatMap((instruction) =>
        instruction.args
          .split(/\s+/)
          .filter((word) => word.startsWith('--'))
          .map((flag) => flag.split('=')[0]),
      );
    expect(copyFlags.filter((flag) => flag !== '--from' && flag !== '--chown')).toEqual([]);
  });

  it('builds on Node 24 slim', () => {
    expect(dockerfile.globalArgs.NODE_IMAGE).toMatch(/^node:24(\.\d+)*-(bookworm|trixie)-slim$/);
    for (const stage of dockerfile.stages) {
      const fromStage = dockerfile.stages.some((candidate) => candidate.name === stage.from);
      expect(fromStage || stage.from === '${NODE_IMAGE}', `${stage.name} FROM ${stage.from}`).toBe(true);
    }
  });

  it.each(targets)('target %s runs as a numeric non-root user with no compilers and production dependencies only', (target) => {
    const chain = stageChain(dockerfile, target);
    expect(chain.length, `${target} exists`).toBeGreaterThan(0);
    const base = chain[chain.length - 1];
    expect(base.from).toBe('${NODE_IMAGE}');
    const user = effective(chain, 'USER');
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user?.split(':')[0])).toBeGreaterThan(0);
    const runs = instructions(chain, 'RUN');
    expect(
      runs.filter((run) => COMPILERS.test(run)),
      'no toolchain installed in the runtime chain',
    ).toEqual([]);
    // node_modules come from a stage that installed without devDependencies (and with the compilers, left behind).
    const copies = instructions(chain, 'COPY').filter((copy) => /\/app\/node_modules/.test(copy));
    expect(copies).toHaveLength(1);
    const source = /--from=(\S+)/.exec(copies[0])?.[1];
    const sourceRuns = instructions(stageChain(dockerfile, source!), 'RUN');
    expect(
      sourceRuns.some((run) => /npm ci\b.*--omit=dev/.test(run)),
      `${source} runs npm ci --omit=dev`,
    ).toBe(true);
    // Run time needs the gRPC contract and the compiled code; the face models ride in node_modules.
    expect(instructions(chain, 'COPY').some((copy) => /\bproto\b/.test(copy))).toBe(true);
    expect(instructions(chain, 'COPY').some((copy) => /\/app\/dist\b/.test(copy))).toBe(true);
  });

  it.each(APP_NAMES)('target %s starts the app and checks its health on its port', (app) => {
    const chain = stageChain(dockerfile, app);
    const spec = DEPLOYABLE_APPS[app];
    expect(execForm(effective(chain, 'CMD'))).toEqual(['node', spec.entry]);
    const port = defaults[spec.healthPortVar as keyof VisageConfig];
    const healthcheck = effective(chain, 'HEALTHCHECK') ?? '';
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim());
    expect(command).toEqual(['node', 'deploy/docker/healthcheck.mjs', spec.healthPortVar, String(port)]);
    const exposed = instructions(chain, 'EXPOSE')
      .flatMap((line) => line.split(/\s+/))
      .map(Number);
    expect(exposed).toContain(port);
    if (spec.grpcPortVar) expect(exposed).toContain(defaults[spec.grpcPortVar as keyof VisageConfig]);
  });

  it.each(APP_NAMES)('target %s sets the worker-thread malloc settings exactly when it runs image/ONNX workers', (app) => {
    const environment = Object.fromEntries(
      instructions(stageChain(dockerfile, app), 'ENV')
        .flatMap((line) => line.split(/\s+/))
        .map((pair) => pair.split('=') as [string, string]),
    );
    for (const [name, value] of Object.entries(WORKER_MALLOC_ENV)) {
      expect(environment[name]).toBe(DEPLOYABLE_APPS[app].workerMemory ? value : undefined);
    }
  });

  it('the recognizer image carries ONNX Runtime (a production dependency, not removed) installed without downloads', () => {
    const manifest = JSON.parse(readRepoFile('package.json')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['onnxruntime-node']).toBeDefined();
    const chain = stageChain(dockerfile, 'face-recognition');
    const depsSource = /--from=(\S+)/.exec(instructions(chain, 'COPY').find((copy) => /\/app\/node_modules/.test(copy)) ?? '')?.[1];
    const depsChain = stageChain(dockerfile, depsSource!);
    // The one RUN that touches it removes other platforms' builds and keeps this one's (run on a mock tree).
    const prunes = instructions(depsChain, 'RUN').filter((run) => /onnxruntime/.test(run));
    expect(prunes).toHaveLength(1);
    const tree = mkdtempSync(join(tmpdir(), 'ort-prune-'));
    const platforms = ['linux/x64', 'linux/arm64', 'darwin/arm64', 'darwin/x64', 'win32/x64'];
    for (const platform of platforms) {
      mkdirSync(join(tree, 'node_modules/onnxruntime-node/bin/napi-v6', platform), { recursive: true });
      writeFileSync(join(tree, 'node_modules/onnxruntime-node/bin/napi-v6', platform, 'libonnxruntime.so.1'), '');
    }
    execFileSync('sh', ['-c', prunes[0]], { cwd: tree });
    const kept = platforms.filter((platform) => existsSync(join(tree, 'node_modules/onnxruntime-node/bin/napi-v6', platform, 'libonnxruntime.so.1')));
    rmSync(tree, { recursive: true, force: true });
    expect(kept).toEqual([`linux/${process.arch}`]);
    // Its install script would fetch the CUDA provider from nuget.org; the CPU provider ships in the npm package.
    expect(instructions(depsChain, 'ENV')).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
  });

  it("copies the local packages package-lock.json links to (the overrides' scripts/npm-stub) before every npm ci", () => {
    const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { link?: boolean; resolved?: string }> };
    const linked = [...new Set(Object.values(lock.packages).flatMap((entry) => (entry.link && entry.resolved ? [entry.resolved] : [])))];
    expect(linked).toEqual(['scripts/npm-stub']);
    const installs = dockerfile.stages.filter((stage) =>
      stage.instructions.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args)),
    );
    expect(installs.map((stage) => stage.name).sort()).toEqual(['build', 'prod-deps']);
    for (const stage of installs) {
      // The chain's instructions in build order, up to the stage's first npm ci.
      const ordered = stageChain(dockerfile, stage.name!)
        .reverse()
        .flatMap((link) => link.instructions);
      const install = ordered.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args));
      let workdir = '/';
      const landed = new Set<string>();
      for (const instruction of ordered.slice(0, install)) {
        if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args);
        if (instruction.keyword === 'COPY') {
          for (const file of linked.map((path) => `${path}/package.json`)) {
            if (landingOf(instruction.args, file, workdir) === file) landed.add(file);
          }
        }
      }
      for (const path of linked) expect(landed.has(`${path}/package.json`), `${stage.name}: ${path}/package.json before npm ci`).toBe(true);
    }
    for (const path of linked) expect(dockerIgnored(`${path}/package.json`), `${path} is in the build context`).toBe(false);
  });

  it("the recognizer image keeps faceplugin's fr_feature.onnx, its LICENSE and package.json, and nothing else of it", () => {
    const model = recognizerModelPath();
    expect(model).toBe('node_modules/faceplugin-face-recognition-js/model/fr_feature.onnx');
    const packageDir = model.slice(0, model.indexOf('/model/'));
    const chain = stageChain(dockerfile, 'face-recognition');
    const depsSource = /--from=(\S+)/.exec(instructions(chain, 'COPY').find((copy) => /\/app\/node_modules/.test(copy)) ?? '')?.[1];
    // The one RUN that deletes files of the package (the prune script only names it), run on a mock of the package.
    const strips = instructions(stageChain(dockerfile, depsSource!), 'RUN').filter(
      (run) => run.includes(packageDir) && !run.includes('prune-node-modules.mjs'),
    );
    expect(strips).toHaveLength(1);
    const mockPackage = (tree: string, files: string[]) => {
      for (const file of files) {
        mkdirSync(join(tree, packageDir, posix.dirname(file)), { recursive: true });
        writeFileSync(join(tree, packageDir, file), '');
      }
      mkdirSync(join(tree, packageDir, 'node_modules'), { recursive: true });
    };
    const listed = (directory: string): string[] =>
      readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? listed(join(directory, entry.name)) : [join(directory, entry.name)],
      );
    const others = [
      'model/fr_detect.onnx',
      'model/fr_landmark.onnx',
      'js/opencv.js',
      'js/opencv_js.wasm',
      'lib/fr_feature.js',
      'index.js',
      'README.md',
    ];
    const tree = mkdtempSync(join(tmpdir(), 'faceplugin-strip-'));
    mockPackage(tree, ['package.json', 'LICENSE', model.slice(packageDir.length + 1), ...others]);
    execFileSync('sh', ['-c', strips[0]], { cwd: tree });
    const kept = listed(join(tree, packageDir)).map((path) => relative(tree, path));
    expect(kept.sort()).toEqual([`${packageDir}/LICENSE`, model, `${packageDir}/package.json`].sort());
    expect(readdirSync(join(tree, packageDir)).sort()).toEqual(['LICENSE', 'model', 'package.json']);
    rmSync(tree, { recursive: true, force: true });
    // A version of the package without the model at that path fails the build rather than ship an image without it.
    const moved = mkdtempSync(join(tmpdir(), 'faceplugin-strip-'));
    mockPackage(moved, ['package.json', 'LICENSE', 'models/fr_feature.onnx', ...others]);
    expect(() => execFileSync('sh', ['-c', strips[0]], { cwd: moved, stdio: 'pipe' })).toThrow();
    rmSync(moved, { recursive: true, force: true });
  });

  it('target migrate runs the migrations and has no healthcheck', () => {
    const chain = stageChain(dockerfile, MIGRATION.name);
    expect(execForm(effective(chain, 'CMD'))).toEqual(['node', MIGRATION.entry]);
    expect(effective(chain, 'HEALTHCHECK')).toBe('NONE');
  });

  it('copies the frontend views and static files next to the compiled code', () => {
    const build = dockerfile.stages.find((stage) => stage.name === 'build')!;
    const assets = build.instructions.find((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('apps/frontend/src/$dir'));
    expect(assets?.args).toMatch(/for dir in views public/);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const sources = dockerfile.stages
      .flatMap((stage) => stage.instructions)
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from='))
      .flatMap((instruction) =>
        instruction.args
          .split(/\s+/)
          .filter((word) => !word.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(3);
    // apps/ arrives with the apps' own branches; everything else must already be here.
    const appsLanded = existsSync(resolve(REPO_ROOT, 'apps'));
    for (const source of sources) {
      if (source !== 'apps' || appsLanded) expect(existsSync(resolve(REPO_ROOT, source)), `${source} exists`).toBe(true);
      expect(dockerIgnored(source), `${source} is not excluded by .dockerignore`).toBe(false);
    }
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['**/node_modules', 'dist', '.env', '.git', 'images']) expect(ignored).toContain(entry);
    for (const path of ['node_modules', 'apps/receiver/node_modules', 'dist', '.env', '.git', 'images/known/a.jpg', 'deploy/base']) {
      expect(dockerIgnored(path), path).toBe(true);
    }
    for (const path of ['.env.example', 'deploy/docker/healthcheck.mjs', 'package-lock.json', 'libs/config/src/index.ts']) {
      expect(dockerIgnored(path), path).toBe(false);
    }
    expect(ignored).toContain('!deploy/docker');
    expect(existsSync(resolve(REPO_ROOT, 'deploy/docker/healthcheck.mjs'))).toBe(true);
  });
});

describe('deploy/docker/healthcheck.mjs', () => {
  let server: Server;
  let port: number;
  let readyStatus = 200;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.url ?? '');
      response.statusCode = request.url === HEALTH_PATHS.ready ? readyStatus : 404;
      response.end();
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

  function runCheck(args: string[], env: Record<string, string>): Promise<number> {
    return new Promise((done) => {
      const child = execFile(process.execPath, [resolve(REPO_ROOT, 'deploy/docker/healthcheck.mjs'), ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      child.on('exit', (code) => done(code ?? -1));
    });
  }

  it('exits 0 when /health/ready answers 200 on the port named by the variable', async () => {
    readyStatus = 200;
    expect(await runCheck(['TEST_PORT', '1'], { TEST_PORT: String(port) })).toBe(0);
    expect(seen.at(-1)).toBe(HEALTH_PATHS.ready);
  });

  it('exits 1 when the app is not ready', async () => {
    readyStatus = 503;
    expect(await runCheck(['TEST_PORT', '1'], { TEST_PORT: String(port) })).toBe(1);
  });

  it('falls back to the default port when the variable is unset', async () => {
    readyStatus = 200;
    expect(await runCheck(['TEST_PORT', String(port)], {})).toBe(0);
  });

  it('exits 1 when nothing listens, and 2 without a usable port', async () => {
    const closed = createServer();
    await new Promise<void>((listening) => closed.listen(0, '127.0.0.1', listening));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    expect(await runCheck(['TEST_PORT', String(freePort)], {})).toBe(1);
    expect(await runCheck(['TEST_PORT', 'not-a-port'], {})).toBe(2);
  });
});
