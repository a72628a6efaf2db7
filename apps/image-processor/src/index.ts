export { createImageProcessorApp, processorNestOptions, startImageProcessorApp } from './image-processor.app';
export { FACE_ANALYZER } from './image-processor.tokens';
export type { ImageProcessorAppOptions } from './image-processor.app';
export { ImageProcessorModule } from './image-processor.module';
export type { ImageProcessorModuleOptions } from './image-processor.module';
export { RetryJob } from './retry/retry.job';
export { ProcessImageService } from './processing/process-image.service';
export { ConsumptionGate } from './startup/consumption-gate';
export type { RetryTickReport } from './retry/retry.job';
