export * from './image-publisher';
export * from './image-requeue.service';
export * from './image-queue.module';
