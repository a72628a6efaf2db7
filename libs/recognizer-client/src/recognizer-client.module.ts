import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { GrpcFaceAnalyzer } from './grpc-face-analyzer';
import { recognizerCredentialsFrom } from './recognizer-credentials';

/** Injection token of the {@link FaceAnalyzer} port (a {@link GrpcFaceAnalyzer} in production). */
export const FACE_ANALYZER = Symbol('FACE_ANALYZER');

/**
 * Provides {@link FACE_ANALYZER} from FACE_RECOGNITION_ADDRESS / FACE_RECOGNITION_DEADLINE_MS / MAX_IMAGE_BYTES /
 * FACE_RECOGNITION_INPUT, RECOGNIZER_TOKEN and GRPC_TLS_*
 * (needs `ConfigModule.forRoot()` somewhere in the app). The channel is closed with the app.
 */
@Module({})
export class RecognizerClientModule {
  static forRoot(): DynamicModule {
    return {
      module: RecognizerClientModule,
      global: true,
      providers: [
        {
          provide: FACE_ANALYZER,
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            new GrpcFaceAnalyzerWithShutdown({
              address: config.get('FACE_RECOGNITION_ADDRESS'),
              deadlineMs: config.get('FACE_RECOGNITION_DEADLINE_MS'),
              maxImageBytes: config.get('MAX_IMAGE_BYTES'),
              sendContentFrom: config.get('FACE_RECOGNITION_INPUT') === 'content' ? config.get('storage').imagesRoot : undefined,
              credentials: recognizerCredentialsFrom(config.values),
            }),
        },
      ],
      exports: [FACE_ANALYZER],
    };
  }
}

class GrpcFaceAnalyzerWithShutdown extends GrpcFaceAnalyzer {
  onApplicationShutdown(): void {
    this.close();
  }
}
