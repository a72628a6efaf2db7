/** Whether an `If-None-Match` header names `etag` (strong or weak, in a list). */
export function ifNoneMatchHas(header: string | undefined, etag: string): boolean {
  return header?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag) ?? false;
}

/**
 * Rendered images by ETag (thumbnails, face crops): least recently used dropped first once their bytes pass
 * `maxBytes`; an entry larger than `maxEntryBytes` is not kept.
 */
export class EtagCache<T extends { body: Buffer }> {
  private readonly entries = new Map<string, T>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntryBytes = maxBytes,
  ) {}

  get(etag: string): T | undefined {
    const entry = this.entries.get(etag);
    if (entry) {
      // Re-inserted: most recently used last.
      this.entries.delete(etag);
      this.entries.set(etag, entry);
    }
    return entry;
  }

  remember(etag: string, entry: T): void {
    if (entry.body.length > this.maxEntryBytes || this.entries.has(etag)) return;
    this.entries.set(etag, entry);
    this.bytes += entry.body.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= value.body.length;
    }
  }
}
