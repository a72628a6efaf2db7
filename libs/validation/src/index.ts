export * from './problems';
export * from './fields';
export * from './schema-pipe';
export * from './problem-status';
