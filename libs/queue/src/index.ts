export * from './queue.types';
