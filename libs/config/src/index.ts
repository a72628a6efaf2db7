export * from './config.schema';
export * from './config.service';
export * from './config.module';
export * from './run-main';
export * from './tracing-environment';
