/**
 * Keyset position of a list ordered by id descending (ids grow with insertion, so this is newest first): the next
 * page continues strictly below the last id shown. The cursor is opaque to clients (base64url) so the ordering key
 * can change without breaking them. Every list ordered this way (images, a person's images, the audit log) names
 * this cursor as its own type; the format stays the one `GET /images` has always returned.
 */
export interface IdCursor {
  beforeId: number;
}

const PREFIX = 'v1:';

export function encodeIdCursor(cursor: IdCursor): string {
  return Buffer.from(`${PREFIX}${cursor.beforeId}`, 'utf8').toString('base64url');
}

/** The cursor of the page after the one ending with `last`. */
export function idCursorAfter(last: { id: number }): string {
  return encodeIdCursor({ beforeId: last.id });
}

/** Returns undefined for anything this module did not produce. */
export function decodeIdCursor(value: string): IdCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const digits = text.slice(PREFIX.length);
  if (!/^[1-9]\d{0,15}$/.test(digits)) return undefined;
  const beforeId = Number(digits);
  return Number.isSafeInteger(beforeId) ? { beforeId } : undefined;
}
