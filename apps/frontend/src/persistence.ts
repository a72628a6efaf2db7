/**
 * The frontend's only entry into the persistence lib. `@visage/persistence` does not export these two yet
 * (its index is owned by the persistence part); once it does, this file becomes a plain re-export of it.
 */
export { buildDataSourceOptions } from '../../../libs/persistence/src/data-source-options';
export * from '../../../libs/persistence/src/repositories/dashboard.repository';
