export { createImageProcessorApp } from './image-processor.app';
export type { ImageProcessorAppOptions } from './image-processor.app';
export { ImageProcessorModule } from './image-processor.module';
export type { ImageProcessorModuleOptions } from './image-processor.module';
export { RetryJob } from './retry/retry.job';
export type { RetryTickReport } from './retry/retry.job';
