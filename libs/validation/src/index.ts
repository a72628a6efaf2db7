export * from './problems';
export * from './fields';
export * from './schema-pipe';
