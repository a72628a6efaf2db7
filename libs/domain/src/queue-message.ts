/** Payload published on the images topic: the id of a stored image row. */
export interface ImageQueuedEvent {
  imageId: number;
  /** The request id the image was submitted (or retried) with, for its log lines in every app. */
  requestId?: string;
}

/**
 * Accepts `{"imageId": N}` and, for the seed's publishers, a bare decimal id.
 * Returns undefined for anything else, so the consumer can finish (not redeliver) a poison message.
 */
export function decodeImageQueuedEvent(data: unknown): ImageQueuedEvent | undefined {
  const candidate =
    typeof data === 'object' && data !== null && 'imageId' in data ? (data as { imageId: unknown }).imageId : data;
  const id = typeof candidate === 'string' && /^\d+$/.test(candidate.trim()) ? Number(candidate) : candidate;
  if (!(typeof id === 'number' && Number.isSafeInteger(id) && id > 0)) return undefined;
  const requestId = typeof data === 'object' && data !== null && 'requestId' in data ? (data as { requestId: unknown }).requestId : undefined;
  // Only a plausible id is kept (the recognizer validates it again); a bad one never makes the message poison.
  return typeof requestId === 'string' && requestId.length > 0 && requestId.length <= 128 ? { imageId: id, requestId } : { imageId: id };
}
