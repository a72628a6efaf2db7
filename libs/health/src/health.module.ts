import { DynamicModule, FactoryProvider, InjectionToken, Module, OptionalFactoryDependency } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, ReadinessCheck } from './readiness';

export interface ReadinessCheckProvider {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...deps: never[]) => ReadinessCheck[];
}

/**
 * `GET /health/live` and `GET /health/ready` for an HTTP app. The app lists its readiness checks once,
 * as a factory over injected dependencies:
 *
 *   HealthModule.forRoot({ inject: [TypeOrmHealthIndicator], useFactory: (db) => [() => db.pingCheck('database')] })
 */
@Module({})
export class HealthModule {
  static forRoot(...providers: ReadinessCheckProvider[]): DynamicModule {
    const checksProvider: FactoryProvider<ReadinessCheck[][]> = {
      provide: READINESS_CHECKS,
      inject: providers.flatMap((provider) => provider.inject ?? []),
      useFactory: (...deps: unknown[]) => {
        let offset = 0;
        return providers.map((provider) => {
          const count = provider.inject?.length ?? 0;
          const slice = deps.slice(offset, offset + count) as never[];
          offset += count;
          return provider.useFactory(...slice);
        });
      },
    };
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [checksProvider],
    };
  }
}
