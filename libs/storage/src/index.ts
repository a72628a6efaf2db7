export * from './storage-error';
export * from './image-path';
export * from './face-crop';
export * from './etag-cache';
export * from './image-format';
export * from './upload-store';
