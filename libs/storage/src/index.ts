export * from './image-path';
export * from './face-crop';
export * from './etag-cache';
