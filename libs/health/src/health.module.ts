import { DynamicModule, FactoryProvider, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, ReadinessCheck, ReadinessCheckProvider } from './readiness';

/**
 * `GET /health/live` and `GET /health/ready` for an HTTP app. The app lists its readiness checks once, each
 * from its own `*.readiness.ts` file (see `readinessCheck`):
 *
 *   HealthModule.forRoot(databaseReadiness, queueReadiness)
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
