export * from './image.entity';
export * from './face.entity';
export * from './image-cursor';
export * from './image-views';
export * from './image.repository';
export * from './image-processing.repository';
export * from './processing-limits';
export * from './dashboard-image.repository';
