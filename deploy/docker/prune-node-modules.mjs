// Removes from ./node_modules the packages an image never loads: the named dependencies of package.json and every
// package that only they need, read from package-lock.json (the tree `npm ci` installed) the way Node resolves a
// require. Run by the Dockerfile (no npm, no network); `--dry-run` prints what would go and stay, as JSON, for the
// static checks in deploy/test/image-dependencies.spec.ts.
//
//   node deploy/docker/prune-node-modules.mjs [--dry-run] [--move-to <dir>] [--files-only <package>] … <package> …
//
// --move-to keeps the removed packages under <dir>/node_modules/… (same relative paths), so one image can take them
// back with one COPY (the recognizer: TensorFlow.js and face-api).
// --files-only names a dependency the apps read files from but never load (faceplugin-face-recognition-js: its ONNX
// model): it stays, but what it declares as dependencies (build tools: eslint, webpack, terser…) is not followed,
// so what only it needs goes.
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const USAGE = 'usage: prune-node-modules.mjs [--dry-run] [--move-to <dir>] [--files-only <package>] … <package> …';
const args = process.argv.slice(2);
let dryRun = false;
let moveTo;
const filesOnly = new Set();
const dropped = new Set();
for (let index = 0; index < args.length; index++) {
  const arg = args[index];
  if (arg === '--dry-run') {
    dryRun = true;
    continue;
  }
  if (arg === '--move-to' || arg === '--files-only') {
    const value = args[++index];
    if (!value || value.startsWith('--')) {
      console.error(USAGE);
      process.exit(2);
    }
    if (arg === '--move-to') moveTo = value;
    else filesOnly.add(value);
    continue;
  }
  if (arg.startsWith('--')) {
    console.error(`unknown option ${arg}\n${USAGE}`);
    process.exit(2);
  }
  dropped.add(arg);
}
if (dropped.size === 0 && filesOnly.size === 0) {
  console.error(USAGE);
  process.exit(2);
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;
for (const name of [...dropped, ...filesOnly]) {
  if (!(name in { ...manifest.dependencies, ...manifest.optionalDependencies })) {
    console.error(`${name} is not a production dependency of package.json`);
    process.exit(2);
  }
}

/** Where Node finds `name` required from the package at `from` ('' = the project): nearest node_modules upwards. */
function resolve(from, name) {
  for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!base) return undefined;
  }
}

/** What a package needs at run time: dependencies, optional ones when installed, peers unless optional. */
function requirements(entry) {
  const optionalPeers = entry.peerDependenciesMeta ?? {};
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers[name]?.optional);
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

const roots = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})].filter((name) => !dropped.has(name));
const needed = new Set();
const pending = roots.map((name) => resolve('', name)).filter(Boolean);
const filesOnlyPaths = new Set([...filesOnly].map((name) => resolve('', name)));
while (pending.length > 0) {
  const path = pending.pop();
  if (needed.has(path)) continue;
  needed.add(path);
  if (filesOnlyPaths.has(path)) continue;
  for (const name of requirements(lock[path])) {
    const found = resolve(path, name);
    if (found && !needed.has(found)) pending.push(found);
  }
}

// Production packages of the tree (devDependencies are not installed in an image), outermost first. Links count: the
// `file:` overrides to scripts/npm-stub are symlinks, which would dangle in an image without scripts/.
const installed = Object.entries(lock)
  .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev)
  .map(([path]) => path)
  .sort((a, b) => a.length - b.length);
const remove = [];
for (const path of installed) {
  // A package inside one already removed goes with it.
  if (!needed.has(path) && !remove.some((outer) => path.startsWith(`${outer}/`))) remove.push(path);
}

if (dryRun) {
  console.log(JSON.stringify({ remove, keep: installed.filter((path) => needed.has(path)) }, null, 2));
  process.exit(0);
}
/** lstat, not exists: a dangling symlink is there to remove too. */
function present(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

for (const path of remove) {
  if (!present(path)) continue;
  if (moveTo) {
    mkdirSync(dirname(join(moveTo, path)), { recursive: true });
    renameSync(path, join(moveTo, path));
  } else {
    rmSync(path, { recursive: true, force: true });
  }
}
const named = [...dropped, ...[...filesOnly].map((name) => `the dependencies of ${name}`)];
console.log(`pruned ${remove.length} packages not loaded by this image (${named.join(', ')} and what only they need)`);
