/**
 * Injection tokens the image processor depends on. The real implementations are bound in ONE place,
 * `image-processor.providers.ts`; tests bind fakes through `createImageProcessorApp(config, overrides)`.
 * `QUEUE_CLIENT` and `QUEUE_CONSUMER` come from `@visage/queue`.
 */
export { QUEUE_CONSUMER } from '@visage/queue';

/** `FaceAnalyzer` port — production: `GrpcFaceAnalyzer` from `libs/recognizer-client`. */
export const FACE_ANALYZER = Symbol('FACE_ANALYZER');

/** `FaceMatcher` port — production: the gallery from `libs/matcher`. */
export const FACE_MATCHER = Symbol('FACE_MATCHER');
