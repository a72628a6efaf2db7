/**
 * Life cycle of an image:
 * pending → processing → processed | unrecognized | failed; failed → pending again through the retry job.
 */
export const IMAGE_STATUSES = ['pending', 'processing', 'processed', 'unrecognized', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export function isImageStatus(value: unknown): value is ImageStatus {
  return typeof value === 'string' && (IMAGE_STATUSES as readonly string[]).includes(value);
}
