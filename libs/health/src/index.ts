export * from './readiness';
export * from './health.controller';
export * from './health.module';
