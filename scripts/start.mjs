// `npm start`: builds only when a source changed since the last build, then runs the embedded app (every app in one
// process) and waits for it, so the prompt comes back only once the apps have shut down (Ctrl-C, SIGTERM).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'dist/apps/embedded/src/main.js');
/** Written after a successful build; its time is when that build started. */
const STAMP = join(ROOT, 'dist/.build-stamp');
/** What `npm run build` reads: a file here newer than the stamp means a rebuild. */
const BUILD_INPUTS = ['apps', 'libs', 'proto', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** Newest modification time under `path` (0 if absent); node_modules and test folders are not build inputs. */
export function newestMtime(path) {
  let info;
  try {
    info = statSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'test') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why the build must run again, or undefined when `dist` is up to date. */
export function staleBuildReason(root = ROOT) {
  const stamp = join(root, 'dist/.build-stamp');
  if (!existsSync(stamp) || !existsSync(join(root, 'dist/apps/embedded/src/main.js'))) return 'no complete build yet';
  const built = statSync(stamp).mtimeMs;
  const changed = BUILD_INPUTS.find((input) => newestMtime(join(root, input)) > built);
  return changed && `${changed} changed since the last build`;
}

/**
 * Runs `command` with the terminal and resolves with its exit code once it has exited. SIGINT and SIGTERM are passed
 * on, not obeyed: a Ctrl-C reaches the app from the terminal too, and the app stops in its own logged order.
 */
export function runAndWait(command, args) {
  const child = spawn(command, args, { stdio: 'inherit' });
  const forward = (signal) => child.exitCode === null && child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolveExit) =>
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveExit(code ?? (signal === 'SIGINT' ? 130 : 143));
    }),
  );
}

function build() {
  const reason = staleBuildReason();
  if (!reason) {
    console.log('build is up to date: starting (`npm run build` forces one)');
    return;
  }
  console.log(`building: ${reason}`);
  const startedAt = new Date();
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // Dated at the build's start, so a file saved during the build still counts as changed next time.
  writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
  utimesSync(STAMP, startedAt, startedAt);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // An entry given on the command line (tests) is run as it is, without building.
  const entry = process.argv[2];
  if (!entry) build();
  process.exitCode = await runAndWait(process.execPath, [entry ?? ENTRY]);
}
