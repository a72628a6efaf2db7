export * from './metrics';
export * from './observability.tokens';
export * from './observability.module';
export * from './http-metrics.middleware';
export * from './metrics.controller';
export * from './log-context';
export * from './app-logger';
export * from './request-context.middleware';
