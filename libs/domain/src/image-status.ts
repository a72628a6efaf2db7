/**
 * Life cycle of an image: pending → processing → processed | unrecognized | retrying | failed.
 * `retrying`: an attempt failed and another automatic one is due at `nextAttemptAt` (→ processing again).
 * `failed` is final: no automatic retry will happen (a permanent error, or MAX_ATTEMPTS spent); only a manual
 * retry makes it pending again.
 */
export const IMAGE_STATUSES = ['pending', 'processing', 'retrying', 'processed', 'unrecognized', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export function isImageStatus(value: unknown): value is ImageStatus {
  return typeof value === 'string' && (IMAGE_STATUSES as readonly string[]).includes(value);
}
