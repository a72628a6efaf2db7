import { readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { hasUnsafeCharacters } from '@visage/domain';
import { ImagePathProblem, StorageError } from './storage-error';

const MESSAGES: Record<ImagePathProblem, string> = {
  path_required: 'path is required and must not be empty',
  path_not_string: 'path must be a string',
  path_invalid: 'path contains invalid characters',
  outside_root: 'path must stay inside the images root',
  not_found: 'no file at this path',
  not_a_file: 'path is not a regular file',
  too_large: 'file is larger than the allowed maximum',
  empty_file: 'file is empty',
};

/** A client mistake about an image path; `code` says which rule it broke. */
export class ImagePathError extends StorageError<ImagePathProblem> {
  constructor(code: ImagePathProblem, detail?: string) {
    super(code, detail ? `${MESSAGES[code]}: ${detail}` : MESSAGES[code]);
  }
}

/** Longest image path accepted (Linux PATH_MAX). */
export const MAX_IMAGE_PATH_LENGTH = 4096;

/**
 * The path text's own rules, before the disk is asked: present, a string, not blank, no NUL, at most 4096
 * characters. Returns it trimmed, or throws the ImagePathError naming the rule. The one definition: request
 * validation (`imagePath` in @visage/validation) and `resolveImagePath` both use it.
 */
export function checkImagePathText(input: unknown): string {
  if (input === undefined || input === null) throw new ImagePathError('path_required');
  if (typeof input !== 'string') throw new ImagePathError('path_not_string');
  const trimmed = input.trim();
  if (trimmed === '') throw new ImagePathError('path_required');
  if (hasUnsafeCharacters(trimmed)) throw new ImagePathError('path_invalid', 'control or bidirectional-override characters');
  if (trimmed.length > MAX_IMAGE_PATH_LENGTH) throw new ImagePathError('path_invalid', 'too long');
  return trimmed;
}

export interface ResolvedImagePath {
  /** Real absolute path (symlinks resolved). */
  absolute: string;
  /** Path relative to the real images root, with `/` separators: the stored, canonical form. */
  relative: string;
  size: number;
  /** Last modification, from the same stat: what a cached rendering of the file is keyed by. */
  mtimeMs: number;
}

export interface ResolveImagePathOptions {
  maxBytes?: number;
  /** Accept zero-byte files (the recognizer reports them as invalid images itself). Default false. */
  allowEmpty?: boolean;
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' ? false : !rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..';
}

/** Links followed at most, as Linux's own resolution (ELOOP beyond). */
const MAX_SYMLINK_HOPS = 40;

const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR']);

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * Where `path` would lead if its missing parts existed: the real path of its longest existing prefix (dangling
 * links followed to their targets) with the missing rest appended. What decides whether a missing file lies
 * inside the root, so a link to an outside directory answers `outside_root` whatever exists behind it.
 */
async function realpathOfMissing(path: string, hops = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (!MISSING_CODES.has(errorCode(error) ?? '')) throw error;
  }
  const parent = dirname(path);
  if (parent === path) return path;
  const entry = resolve(await realpathOfMissing(parent, hops), basename(path));
  let target: string;
  try {
    target = await readlink(entry);
  } catch {
    return entry; // no such entry, or not a link: nothing more to follow
  }
  if (hops >= MAX_SYMLINK_HOPS) throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
  return realpathOfMissing(resolve(dirname(entry), target), hops + 1);
}

/** A path the system cannot resolve (a link loop, a name too long) is the client's mistake; anything else is not. */
function unresolvable(error: unknown): never {
  const code = errorCode(error);
  if (code === 'ELOOP' || code === 'ENAMETOOLONG') throw new ImagePathError('path_invalid', code);
  throw error;
}

/**
 * The real path of `candidate`, or the problem a client is told. A missing file is `not_found` only when the
 * place it would be is inside the root: answering `not_found` under a link that leads out would tell whether a
 * file exists outside it.
 */
async function realpathOrProblem(realRoot: string, candidate: string): Promise<string> {
  try {
    return await realpath(candidate);
  } catch (error) {
    if (!MISSING_CODES.has(errorCode(error) ?? '')) unresolvable(error);
  }
  const wouldBe = await realpathOfMissing(candidate).catch(unresolvable);
  if (!isInside(realRoot, wouldBe)) throw new ImagePathError('outside_root', 'it resolves to a location outside');
  throw new ImagePathError('not_found');
}

/**
 * Resolves a client-supplied path (relative to `root`, or absolute inside it) to a real file inside `root`.
 * Checked lexically first (so `..` escapes are refused before touching the disk) and again after resolving
 * symlinks (so a link cannot point outside the root), whether or not the file exists (no existence oracle).
 */
export async function resolveImagePath(root: string, input: unknown, options: ResolveImagePathOptions = {}): Promise<ResolvedImagePath> {
  const trimmed = checkImagePathText(input);

  const lexicalRoot = resolve(root);
  const candidate = resolve(lexicalRoot, trimmed);
  if (!isInside(lexicalRoot, candidate)) throw new ImagePathError('outside_root');

  const realRoot = await realpath(lexicalRoot);
  const realFile = await realpathOrProblem(realRoot, candidate);
  if (!isInside(realRoot, realFile)) throw new ImagePathError('outside_root', 'it resolves to a location outside');

  const info = await stat(realFile);
  if (!info.isFile()) throw new ImagePathError('not_a_file');
  if (options.maxBytes !== undefined && info.size > options.maxBytes) {
    throw new ImagePathError('too_large', `${info.size} bytes > ${options.maxBytes}`);
  }
  if (!options.allowEmpty && info.size === 0) throw new ImagePathError('empty_file');
  return { absolute: realFile, relative: relative(realRoot, realFile).split(sep).join('/'), size: info.size, mtimeMs: info.mtimeMs };
}
