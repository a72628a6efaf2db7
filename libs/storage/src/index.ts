export * from './image-path';
