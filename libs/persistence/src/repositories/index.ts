export * from './database-errors';
export * from './image-cursor';
export * from './image.repository';
export * from './person.repository';
export * from './image-processing.repository';
export * from './dashboard.repository';
export * from './person-image.repository';
export * from './lock.repository';
