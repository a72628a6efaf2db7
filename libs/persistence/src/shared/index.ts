// Driver-error checks stay inside this lib: repositories report PersistenceError codes instead.
export { PERSISTENCE_ERROR_CODES, PersistenceError, PersistenceErrorCode } from './database-errors';
export * from './keyset-page';
export * from './lock.repository';
export * from './transactions';
export * from './keyset-cursor';
export * from './descriptor-codec';
export * from './like-pattern';
export * from './box-columns';
