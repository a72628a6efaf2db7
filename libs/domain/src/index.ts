export * from './image-status';
export * from './face';
export * from './queue-message';
export * from './face-analyzer';
export * from './errors';
export * from './timeout';
export * from './route-id';
export * from './outcome-event';
