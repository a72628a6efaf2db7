/**
 * Injection tokens the image processor depends on. The real implementations are bound in ONE place,
 * `image-processor.providers.ts`; tests replace them with `overrideProvider(<token>).useValue(fake)`.
 * `QUEUE_CLIENT` (from `@visage/queue`) is the fourth: the ClientProxy used to re-publish images.
 */
/** The consumer strategy the breaker pauses (RDY 0) while the recognizer is down. */
export { QUEUE_CONSUMER } from '@visage/queue';
/** `FaceAnalyzer` port: the recognizer's gRPC client. */
export { FACE_ANALYZER } from '@visage/recognizer-client';
/** `FaceMatcher` port: the in-memory gallery of known faces. */
export { FACE_MATCHER } from '@visage/matcher';
