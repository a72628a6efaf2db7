import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { ConfigService } from '@visage/config';
import { KNOWN_SOURCE_PREFIX, PATH_SOURCE_PREFIX } from '@visage/persistence';
import { EtagCache, ifNoneMatchHas, ImagePathError, ResolvedImagePath, resolveImagePath } from '@visage/storage';
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

/**
 * Thumbnails of files inside IMAGES_ROOT only (the shared `resolveImagePath` refuses `..`, absolute paths
 * elsewhere and symlinks that lead out). Rendered once per (file version, size) and kept in a small
 * in-memory LRU; the ETag is derived from path, size and mtime so browsers revalidate cheaply.
 */
@Injectable()
export class ThumbnailService {
  private readonly root: string;
  private readonly knownFacesDir: string;
  private readonly maxBytes: number;
  private readonly maxPixels: number;
  private readonly cache = new EtagCache<{ body: Buffer; contentType: string }>(CACHE_MAX_BYTES, CACHE_MAX_BYTES / 8);

  constructor(config: ConfigService) {
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
      if (error instanceof ImagePathError) return { kind: 'refused', status: IMAGE_PATH_PROBLEM_STATUS[error.code], message: error.message, code: error.code };
      return { kind: 'refused', status: 404, message: 'no readable file at this path', code: 'unreadable' };
    }
    const etag = `"${createHash('sha1').update(`${file.relative}\0${size}\0${file.mtimeMs}`).digest('base64url')}"`;
    if (ifNoneMatchHas(ifNoneMatch, etag)) return { kind: 'not-modified', etag };
    const cached = this.cache.get(etag);
    if (cached) return { kind: 'image', etag, ...cached };
    try {
      const body = await sharp(file.absolute, { limitInputPixels: this.maxPixels })
        .rotate()
        .resize({ width: size, height: size, fit: THUMBNAIL_SIZES[size], withoutEnlargement: size > 320 })
        .webp({ quality: size > 320 ? 82 : 72 })
        .toBuffer();
      this.cache.remember(etag, { body, contentType: 'image/webp' });
      return { kind: 'image', etag, body, contentType: 'image/webp' };
    } catch {
      return { kind: 'refused', status: 415, message: 'the file is not an image that can be shown', code: 'not_an_image' };
    }
  }

  /** Size of the picture as displayed (EXIF orientation applied), when the file is a readable image in the root. */
  async dimensions(path: string): Promise<{ width: number; height: number } | undefined> {
    try {
      const file = await resolveImagePath(this.root, path, { maxBytes: this.maxBytes });
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
