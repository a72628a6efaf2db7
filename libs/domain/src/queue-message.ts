/** Payload published on the images topic: the id of a stored image row. */
export interface ImageQueuedEvent {
  imageId: number;
}

/**
 * Accepts `{"imageId": N}` and, for the seed's publishers, a bare decimal id.
 * Returns undefined for anything else, so the consumer can finish (not redeliver) a poison message.
 */
export function decodeImageQueuedEvent(data: unknown): ImageQueuedEvent | undefined {
  const candidate =
    typeof data === 'object' && data !== null && 'imageId' in data ? (data as { imageId: unknown }).imageId : data;
  const id = typeof candidate === 'string' && /^\d+$/.test(candidate.trim()) ? Number(candidate) : candidate;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? { imageId: id } : undefined;
}
