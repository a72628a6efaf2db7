/** Payload published on the images topic: the id of a stored image row. */
export interface ImageQueuedEvent {
  imageId: number;
  /** The request id the image was submitted (or retried) with, for its log lines in every app. */
  requestId?: string;
  /** W3C trace context of the publisher's span (set only when tracing is on). */
  traceparent?: string;
  tracestate?: string;
}

/**
 * Accepts `{"imageId": N}` and, for the seed's publishers, a bare decimal id.
 * Returns undefined for anything else, so the consumer can finish (not redeliver) a poison message.
 */
export function decodeImageQueuedEvent(data: unknown): ImageQueuedEvent | undefined {
  const candidate = typeof data === 'object' && data !== null && 'imageId' in data ? (data as { imageId: unknown }).imageId : data;
  const id = typeof candidate === 'string' && /^\d+$/.test(candidate.trim()) ? Number(candidate) : candidate;
  if (!(typeof id === 'number' && Number.isSafeInteger(id) && id > 0)) return undefined;
  const event: ImageQueuedEvent = { imageId: id };
  // Optional fields are kept only when plausible (the recognizer validates the id again); a bad one never makes
  // the message poison.
  const text = (key: 'requestId' | 'traceparent' | 'tracestate', maxLength: number) => {
    const value = typeof data === 'object' && data !== null && key in data ? (data as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'string' && value.length > 0 && value.length <= maxLength) event[key] = value;
  };
  text('requestId', 128);
  text('traceparent', 128);
  text('tracestate', 512);
  return event;
}
