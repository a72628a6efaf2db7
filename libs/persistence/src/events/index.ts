export * from './outcome-event.entity';
export * from './outcome-events';
export * from './outcome-event.repository';
