import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { HttpStatus, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { ConfigService } from '@visage/config';
import { DashboardImageRepository, KNOWN_SOURCE_PREFIX, PATH_SOURCE_PREFIX } from '@visage/persistence';
import { EtagCache, IMAGE_FORMAT_NAMES, ifNoneMatchHas, ImagePathError, ResolvedImagePath, resolveImagePath, sniffImageFile } from '@visage/storage';
import { IMAGE_PATH_PROBLEM_STATUS } from '@visage/validation';

/** Allowed widths: squares (cover) for lists, a bounded box (inside) for the detail picture. Fixed so a client cannot fill the cache. */
export const THUMBNAIL_SIZES = { 80: 'cover', 160: 'cover', 320: 'cover', 1280: 'inside' } as const;
export type ThumbnailSize = keyof typeof THUMBNAIL_SIZES;
export const DEFAULT_THUMBNAIL_SIZE: ThumbnailSize = 160;
export const DETAIL_PICTURE_SIZE: ThumbnailSize = 1280;

export function isThumbnailSize(value: number): value is ThumbnailSize {
  return Object.prototype.hasOwnProperty.call(THUMBNAIL_SIZES, value);
}

export function thumbnailUrl(path: string, size: ThumbnailSize = DEFAULT_THUMBNAIL_SIZE): string {
  return `/thumbnails?path=${encodeURIComponent(path)}&size=${size}`;
}

export type ThumbnailResult =
  | { kind: 'image'; etag: string; body: Buffer; contentType: string }
  | { kind: 'not-modified'; etag: string }
  | { kind: 'refused'; status: number; message: string; code: string };

const CACHE_MAX_BYTES = 32 * 1024 * 1024;

/** Problems that say something about a file inside the root: told only about files that were submitted. */
const FILE_PROBLEMS = new Set<string>(['not_found', 'not_a_file', 'too_large', 'empty_file']);

const NOT_SUBMITTED: ThumbnailResult = {
  kind: 'refused',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  message: 'no submitted image or enrolled face at this path',
  code: 'not_submitted',
};

const NOT_AN_IMAGE: ThumbnailResult = {
  kind: 'refused',
  status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  message: `the file is not a ${IMAGE_FORMAT_NAMES} picture that can be shown`,
  code: 'not_an_image',
};

/**
 * Thumbnails of submitted files only: an image row or an enrolment names them (a session, even a `read` one, must
 * not browse IMAGES_ROOT), inside the root (the shared `resolveImagePath` refuses `..`, absolute paths elsewhere
 * and symlinks that lead out), in an allowed raster format by their first bytes (sharp would load SVG and more).
 * Rendered once per (file version, size) and kept in a small in-memory LRU; the ETag is derived from path, size
 * and mtime so browsers revalidate cheaply.
 */
@Injectable()
export class ThumbnailService {
  private readonly root: string;
  private readonly knownFacesDir: string;
  private readonly maxBytes: number;
  private readonly maxPixels: number;
  private readonly cache = new EtagCache<{ body: Buffer; contentType: string }>(CACHE_MAX_BYTES, CACHE_MAX_BYTES / 8);

  constructor(
    config: ConfigService,
    private readonly repository: DashboardImageRepository,
  ) {
    this.root = config.get('storage').imagesRoot;
    this.knownFacesDir = config.get('storage').knownFacesDir;
    this.maxBytes = config.get('MAX_IMAGE_BYTES');
    this.maxPixels = config.get('MAX_IMAGE_PIXELS');
  }

  async render(path: unknown, size: ThumbnailSize, ifNoneMatch?: string): Promise<ThumbnailResult> {
    let file: ResolvedImagePath;
    try {
      file = await resolveImagePath(this.root, path, { maxBytes: this.maxBytes });
    } catch (error) {
      if (!(error instanceof ImagePathError)) return { kind: 'refused', status: 404, message: 'no readable file at this path', code: 'unreadable' };
      // A missing or unusable file is named as such only when it was submitted: anything else would tell a
      // session which files the root holds.
      if (FILE_PROBLEMS.has(error.code) && !(await this.wasSubmittedAt(String(path)))) return NOT_SUBMITTED;
      return { kind: 'refused', status: IMAGE_PATH_PROBLEM_STATUS[error.code], message: error.message, code: error.code };
    }
    if (!(await this.repository.isSubmittedFile(file.relative, await this.sourceNamesOf(file)))) return NOT_SUBMITTED;
    const etag = `"${createHash('sha1').update(`${file.relative}\0${size}\0${file.mtimeMs}`).digest('base64url')}"`;
    if (ifNoneMatchHas(ifNoneMatch, etag)) return { kind: 'not-modified', etag };
    const cached = this.cache.get(etag);
    if (cached) return { kind: 'image', etag, ...cached };
    if ((await sniffImageFile(file.absolute)) === undefined) return NOT_AN_IMAGE;
    try {
      const body = await sharp(file.absolute, { limitInputPixels: this.maxPixels })
        .rotate()
        .resize({ width: size, height: size, fit: THUMBNAIL_SIZES[size], withoutEnlargement: size > 320 })
        .webp({ quality: size > 320 ? 82 : 72 })
        .toBuffer();
      this.cache.remember(etag, { body, contentType: 'image/webp' });
      return { kind: 'image', etag, body, contentType: 'image/webp' };
    } catch {
      return NOT_AN_IMAGE;
    }
  }

  /** Source names an enrolment of `file` carries: `path:` under the root, `known:` in KNOWN_FACES_DIR, or bare (older rows). */
  private async sourceNamesOf(file: ResolvedImagePath): Promise<string[]> {
    const names = [`${PATH_SOURCE_PREFIX}${file.relative}`, file.relative];
    const knownDir = await realpath(this.knownFacesDir).catch(() => undefined);
    const inKnownDir = knownDir === undefined ? undefined : relative(knownDir, file.absolute);
    if (inKnownDir !== undefined && inKnownDir !== '' && !inKnownDir.startsWith('..') && !isAbsolute(inKnownDir)) {
      const name = inKnownDir.split(sep).join('/');
      names.push(`${KNOWN_SOURCE_PREFIX}${name}`, name);
    }
    return names;
  }

  /** Whether an image row names the path as given (for a file that cannot be resolved, so by its text). */
  private async wasSubmittedAt(path: string): Promise<boolean> {
    const asGiven = relative(resolve(this.root), resolve(this.root, path.trim())).split(sep).join('/');
    return this.repository.isSubmittedFile(asGiven, [`${PATH_SOURCE_PREFIX}${asGiven}`]);
  }

  /** Size of the picture as displayed (EXIF orientation applied), when the file is a readable image in the root. */
  async dimensions(path: string): Promise<{ width: number; height: number } | undefined> {
    try {
      const file = await resolveImagePath(this.root, path, { maxBytes: this.maxBytes });
      if ((await sniffImageFile(file.absolute)) === undefined) return undefined;
      const meta = await sharp(file.absolute, { limitInputPixels: this.maxPixels }).metadata();
      if (!meta.width || !meta.height) return undefined;
      const quarterTurn = (meta.orientation ?? 1) >= 5;
      return quarterTurn ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
    } catch {
      return undefined;
    }
  }

  /**
   * Path relative to IMAGES_ROOT of an enrolled face's source, if it is a file inside the root: sources are
   * either paths given to the enrolment API (relative to the root) or file names in KNOWN_FACES_DIR.
   */
  async locate(sourceName: string): Promise<string | undefined> {
    // Enrolment writes `known:<file in KNOWN_FACES_DIR>` and `path:<path under IMAGES_ROOT>`; bare names are older rows.
    // Either way resolveImagePath below still refuses anything outside the root (`known:../../etc/passwd`).
    const name = sourceName.startsWith(KNOWN_SOURCE_PREFIX)
      ? resolve(this.knownFacesDir, sourceName.slice(KNOWN_SOURCE_PREFIX.length))
      : sourceName.startsWith(PATH_SOURCE_PREFIX)
        ? sourceName.slice(PATH_SOURCE_PREFIX.length)
        : sourceName;
    const candidates = isAbsolute(name) ? [name] : [name, resolve(this.knownFacesDir, name)];
    for (const candidate of candidates) {
      try {
        return (await resolveImagePath(this.root, candidate, { maxBytes: this.maxBytes })).relative;
      } catch {
        // try the next reading of the name
      }
    }
    return undefined;
  }
}
