import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppOptions, VisageConfig } from '@visage/config';
import { appLogger } from '@visage/observability';
import { AnalysisService } from './analysis/analysis.service';
import { FaceAnalysisGrpcServer } from './analysis/face-analysis.grpc-server';
import { FaceRecognitionModule } from './face-recognition.module';

export type FaceRecognitionAppOptions = AppOptions;

export interface FaceRecognitionListenOptions {
  /** gRPC port; default FACE_RECOGNITION_PORT, 0 = any free port. */
  grpcPort?: number;
  /** HTTP health port; default FACE_RECOGNITION_HEALTH_PORT, 0 = any free port. */
  healthPort?: number;
  /** Interface for both; default BIND_HOST. */
  host?: string;
}

export interface FaceRecognitionApp {
  /**
   * Binds gRPC and the HTTP health port and starts loading the models in the workers; resolves once both ports
   * listen (models may still be loading: gRPC health says NOT_SERVING, /health/ready answers 503 until then).
   */
  start(options?: FaceRecognitionListenOptions): Promise<{ grpcPort: number; healthPort: number }>;
  /** Resolves when every worker has loaded and warmed its models (rejects if they cannot load). */
  ready(): Promise<void>;
  /** Stops accepting calls, lets in-flight ones finish (≤ 5 s), stops the workers and the HTTP server. */
  close(): Promise<void>;
  /** The Nest HTTP application (health endpoints), for tests and the embedded launcher. */
  readonly nest: INestApplication;
}

/**
 * Builds the face-recognition service (gRPC `visage.face.v1.FaceAnalysis` + `grpc.health.v1.Health`, and
 * `/health/live` + `/health/ready` over HTTP). Nothing listens until `start()`.
 */
export async function createFaceRecognitionApp(config: VisageConfig, options: FaceRecognitionAppOptions = {}): Promise<FaceRecognitionApp> {
  const nest = await NestFactory.create(FaceRecognitionModule.forRoot({ config }), {
    logger: options.logger ?? appLogger(config, 'face-recognition'),
    // A failing boot throws to the caller (main or the embedded launcher) instead of aborting the process.
    abortOnError: false,
  });
  let started = false;
  return {
    nest,
    async start(options = {}) {
      if (started) throw new Error('face recognition app already started');
      started = true;
      const host = options.host ?? config.BIND_HOST;
      await nest.init();
      const grpcPort = await nest.get(FaceAnalysisGrpcServer).listen(options.grpcPort ?? config.FACE_RECOGNITION_PORT, host);
      await nest.listen(options.healthPort ?? config.FACE_RECOGNITION_HEALTH_PORT, host);
      const address = nest.getHttpServer().address() as { port: number };
      return { grpcPort, healthPort: address.port };
    },
    ready: () => nest.get(AnalysisService).whenReady(),
    close: () => nest.close(),
  };
}

export { AnalysisService, FaceAnalysisGrpcServer };
