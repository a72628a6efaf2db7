import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, VisageConfig } from '@visage/config';
import { HealthModule } from '@visage/health';
import { ObservabilityModule } from '@visage/observability';
import { AnalysisModule } from './analysis/analysis.module';
import { modelsReadiness } from './health/models.readiness';

@Module({})
export class FaceRecognitionModule {
  static forRoot(config?: VisageConfig): DynamicModule {
    return {
      module: FaceRecognitionModule,
      imports: [
        ConfigModule.forRoot(config),
        AnalysisModule,
        HealthModule.forRoot(modelsReadiness),
        ObservabilityModule.forRoot({ app: 'face-recognition' }),
      ],
    };
  }
}
