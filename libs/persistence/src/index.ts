export * from './entities';
export * from './data-source-options';
export * from './migrations';
export * from './schema-migrator';
export * from './persistence.module';
export * from './database.readiness';
export * from './repositories';
export * from './person-name';
