import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CodedError, hasUnsafeCharacters } from '@visage/domain';

export type ImagePathProblem =
  | 'path_required'
  | 'path_not_string'
  | 'path_invalid'
  | 'outside_root'
  | 'not_found'
  | 'not_a_file'
  | 'too_large'
  | 'empty_file';

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
export class ImagePathError extends CodedError<ImagePathProblem> {
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

async function realpathOrProblem(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ImagePathError('not_found');
    if (code === 'ELOOP' || code === 'ENAMETOOLONG') throw new ImagePathError('path_invalid', code);
    throw error;
  }
}

/**
 * Resolves a client-supplied path (relative to `root`, or absolute inside it) to a real file inside `root`.
 * Checked lexically first (so `..` escapes are refused before touching the disk) and again after resolving
 * symlinks (so a link cannot point outside the root).
 */
export async function resolveImagePath(
  root: string,
  input: unknown,
  options: ResolveImagePathOptions = {},
): Promise<ResolvedImagePath> {
  const trimmed = checkImagePathText(input);

  const lexicalRoot = resolve(root);
  const candidate = resolve(lexicalRoot, trimmed);
  if (!isInside(lexicalRoot, candidate)) throw new ImagePathError('outside_root');

  const realRoot = await realpath(lexicalRoot);
  const realFile = await realpathOrProblem(candidate);
  if (!isInside(realRoot, realFile)) throw new ImagePathError('outside_root', 'it resolves to a location outside');

  const info = await stat(realFile);
  if (!info.isFile()) throw new ImagePathError('not_a_file');
  if (options.maxBytes !== undefined && info.size > options.maxBytes) {
    throw new ImagePathError('too_large', `${info.size} bytes > ${options.maxBytes}`);
  }
  if (!options.allowEmpty && info.size === 0) throw new ImagePathError('empty_file');
  return { absolute: realFile, relative: relative(realRoot, realFile).split(sep).join('/'), size: info.size, mtimeMs: info.mtimeMs };
}
