export * from './image-path';
export * from './face-crop';
