/**
 * Keyset position of `GET /images`: the list is ordered by id descending (ids grow with insertion, so
 * this is newest first), and the next page continues strictly below the last id shown. The cursor is
 * opaque to clients (base64url) so the ordering key can change without breaking them.
 */
export interface ImageCursor {
  beforeId: number;
}

const PREFIX = 'v1:';

export function encodeImageCursor(cursor: ImageCursor): string {
  return Buffer.from(`${PREFIX}${cursor.beforeId}`, 'utf8').toString('base64url');
}

/** Returns undefined for anything this module did not produce. */
export function decodeImageCursor(value: string): ImageCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const digits = text.slice(PREFIX.length);
  if (!/^[1-9]\d{0,15}$/.test(digits)) return undefined;
  const beforeId = Number(digits);
  return Number.isSafeInteger(beforeId) ? { beforeId } : undefined;
}
