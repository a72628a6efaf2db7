import { DynamicModule, Module } from '@nestjs/common';
import { AppModuleOptions, ConfigModule } from '@visage/config';
import { HealthModule } from '@visage/health';
import { ObservabilityModule } from '@visage/observability';
import { AnalysisModule } from './analysis/analysis.module';
import { modelsReadiness } from './health/models.readiness';

export type FaceRecognitionModuleOptions = AppModuleOptions;

@Module({})
export class FaceRecognitionModule {
  static forRoot(options: FaceRecognitionModuleOptions): DynamicModule {
    return {
      module: FaceRecognitionModule,
      imports: [
        ConfigModule.forRoot(options.config),
        AnalysisModule,
        HealthModule.forRoot(modelsReadiness),
        ObservabilityModule.forRoot({ app: 'face-recognition' }),
      ],
    };
  }
}
