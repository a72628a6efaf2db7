import { DynamicModule, MiddlewareConsumer, Module, NestModule, OnApplicationShutdown } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { RequestContextMiddleware } from './request-context.middleware';
import { stopTracing } from './tracing';
import { OBSERVED_APP } from './observability.tokens';

export interface ObservabilityOptions {
  /** The deployable's name, e.g. `receiver`. */
  app: string;
}

/**
 * `GET /metrics`, HTTP request metrics and the request id / log context of every request for one app, imported by each app module beside `HealthModule`:
 *
 *   ObservabilityModule.forRoot({ app: 'receiver' })
 */
@Module({})
export class ObservabilityModule implements NestModule, OnApplicationShutdown {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [MetricsController],
      providers: [{ provide: OBSERVED_APP, useValue: options.app }, HttpMetricsMiddleware, RequestContextMiddleware],
      exports: [OBSERVED_APP],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, RequestContextMiddleware).forRoutes('*');
  }

  /** The spans of the last seconds are still batched: send them before the process exits. */
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}
