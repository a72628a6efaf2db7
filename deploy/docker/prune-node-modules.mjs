// Removes from ./node_modules the packages an image never loads: the named dependencies of package.json and every
// package that only they need, read from package-lock.json (the tree `npm ci` installed) the way Node resolves a
// require. Run by the Dockerfile (no npm, no network); `--dry-run` prints what would go and stay, as JSON, for the
// static checks in deploy/test/image-dependencies.spec.ts.
//
//   node deploy/docker/prune-node-modules.mjs [--dry-run] [--move-to <dir>] <package> …
//
// --move-to keeps the removed packages under <dir>/node_modules/… (same relative paths), so one image can take them
// back with one COPY (the recognizer: TensorFlow.js and face-api).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const moveIndex = args.indexOf('--move-to');
const moveTo = moveIndex >= 0 ? args[moveIndex + 1] : undefined;
const dropped = new Set(args.filter((arg, index) => !arg.startsWith('--') && (moveIndex < 0 || index !== moveIndex + 1)));
if (dropped.size === 0 || (moveIndex >= 0 && !moveTo)) {
  console.error('usage: prune-node-modules.mjs [--dry-run] [--move-to <dir>] <package> …');
  process.exit(2);
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;
for (const name of dropped) {
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
while (pending.length > 0) {
  const path = pending.pop();
  if (needed.has(path)) continue;
  needed.add(path);
  for (const name of requirements(lock[path])) {
    const found = resolve(path, name);
    if (found && !needed.has(found)) pending.push(found);
  }
}

// Production packages of the tree (devDependencies are not installed in an image), outermost first.
const installed = Object.entries(lock)
  .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.link)
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
for (const path of remove) {
  if (!existsSync(path)) continue;
  if (moveTo) {
    mkdirSync(dirname(join(moveTo, path)), { recursive: true });
    renameSync(path, join(moveTo, path));
  } else {
    rmSync(path, { recursive: true, force: true });
  }
}
console.log(`pruned ${remove.length} packages not loaded by this image (${[...dropped].join(', ')} and what only they need)`);
