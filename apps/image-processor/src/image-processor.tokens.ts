/**
 * Injection tokens the image processor depends on. The real implementations are bound in ONE place,
 * `image-processor.providers.ts`; tests bind fakes through `createImageProcessorApp(config, overrides)`.
 * (`QUEUE_CLIENT` from `@visage/queue` is the fourth one: the ClientProxy used to re-publish images.)
 */

/** `FaceAnalyzer` port — production: `GrpcFaceAnalyzer` from `libs/recognizer-client`. */
export const FACE_ANALYZER = Symbol('FACE_ANALYZER');

/** `FaceMatcher` port — production: the gallery from `libs/matcher`. */
export const FACE_MATCHER = Symbol('FACE_MATCHER');

/**
 * The consumer side of the queue transport (`PausableConsumer`): the breaker pauses it (RDY 0) while the
 * recognizer is down, and readiness reports its connection. Production: the strategy instance from
 * `createQueueConsumer(config)` — the same object passed to `connectMicroservice({ strategy })`.
 */
export const QUEUE_CONSUMER = Symbol('QUEUE_CONSUMER');
