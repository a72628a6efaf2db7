import { DynamicModule, Module } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConfigModule, VisageConfig } from '@visage/config';
import { HealthModule } from '@visage/health';
import { AnalysisModule } from './analysis/analysis.module';
import { AnalysisService } from './analysis/analysis.service';

@Module({})
export class FaceRecognitionModule {
  static forRoot(config?: VisageConfig): DynamicModule {
    return {
      module: FaceRecognitionModule,
      imports: [
        ConfigModule.forRoot(config),
        AnalysisModule,
        HealthModule.forRoot({
          inject: [AnalysisService, HealthIndicatorService],
          useFactory: (analysis: AnalysisService, indicators: HealthIndicatorService) => [
            async () => {
              const indicator = indicators.check('models');
              const details = { engine: analysis.pool.engine ?? 'loading', workers: analysis.pool.size, queued: analysis.pool.queued };
              if (analysis.ready) return indicator.up(details);
              return indicator.down({ ...details, reason: analysis.failure?.message ?? 'models are loading' });
            },
          ],
        }),
      ],
    };
  }
}
