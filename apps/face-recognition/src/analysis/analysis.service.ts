import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ConfigService } from '@visage/config';
import { trackWorkerPool } from '@visage/observability';
import { resolveImagePath } from '@visage/storage';
import { EngineResult } from '../engine/engine';
import { WorkerStats } from '../engine/protocol';
import { AnalysisError, toAnalysisError } from './analysis-error';
import { RecognizerPool } from './recognizer-pool';
import { disableOnnxRuntimeTelemetry } from '@visage/onnx-graph';

export interface AnalyzeRequest {
  path: string;
  content?: Buffer;
  includeLandmarks: boolean;
  deadline?: number;
  signal?: AbortSignal;
}

export interface AnalyzeOutcome extends EngineResult {
  backend: string;
  elapsedMs: number;
}

/**
 * Turns a request into a pool job: the path rules of `@visage/storage` first (outside the root, missing, too
 * big are answered without touching a worker), then the worker pool. Throws {@link AnalysisError} only.
 */
@Injectable()
export class AnalysisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FaceAnalysis');
  readonly pool: RecognizerPool;
  private loadError?: Error;
  private readonly untrackPool: () => void;

  constructor(@Inject(ConfigService) private readonly config: ConfigService) {
    // Before any worker exists: each inherits the process environment, where ONNX Runtime reads the switch.
    disableOnnxRuntimeTelemetry();
    this.pool = new RecognizerPool({
      workers: config.get('RECOGNIZER_WORKERS'),
      queueSize: config.get('RECOGNIZER_QUEUE_SIZE'),
      settings: {
        engine: config.get('FACE_ENGINE'),
        engineThreads: config.get('FACE_ENGINE_THREADS'),
        minScore: config.get('MIN_DETECTION_SCORE'),
        recipe: config.get('FACE_DESCRIPTOR_RECIPE'),
        maxPixels: config.get('MAX_IMAGE_PIXELS'),
      },
    });
    this.untrackPool = trackWorkerPool(this.pool);
  }

  /** Models load in the background: the gRPC health says NOT_SERVING until {@link whenReady} resolves. */
  onModuleInit(): void {
    const started = Date.now();
    this.logger.log(`loading face models in ${this.pool.size} worker thread(s)`);
    this.whenReady().then(
      () => {
        if (this.pool.fallbackReason) this.logger.warn(`FACE_ENGINE=auto fell back to TensorFlow.js: ${this.pool.fallbackReason}`);
        this.logger.log(
          `models loaded and warmed in ${Date.now() - started} ms: engine ${this.pool.engine}, face-api ${this.pool.faceApiVersion}, descriptor recipe ${this.config.get('FACE_DESCRIPTOR_RECIPE')}, ${this.pool.size} worker(s)`,
        );
      },
      (error: Error) => {
        this.loadError = error;
        this.logger.error(`face models failed to load: ${error.message}`);
      },
    );
  }

  whenReady(): Promise<void> {
    return this.pool.start();
  }

  get ready(): boolean {
    return this.pool.ready;
  }

  get failure(): Error | undefined {
    return this.loadError;
  }

  async onApplicationShutdown(): Promise<void> {
    this.untrackPool();
    await this.pool.close();
  }

  stats(): Promise<WorkerStats[]> {
    return this.pool.stats();
  }

  async analyze(request: AnalyzeRequest): Promise<AnalyzeOutcome> {
    try {
      const maxBytes = this.config.get('MAX_IMAGE_BYTES');
      let source: { path: string } | { content: Uint8Array };
      if (request.content && request.content.length > 0) {
        if (request.content.length > maxBytes) {
          throw new AnalysisError(
            GrpcStatus.INVALID_ARGUMENT,
            'too_large',
            `too_large: ${request.content.length} bytes > MAX_IMAGE_BYTES (${maxBytes})`,
          );
        }
        source = { content: request.content };
      } else {
        const resolved = await resolveImagePath(this.config.get('storage').imagesRoot, request.path, { maxBytes, allowEmpty: true });
        source = { path: resolved.absolute };
      }
      const { result, elapsedMs } = await this.pool.analyze(source, request.includeLandmarks, {
        deadline: request.deadline,
        signal: request.signal,
      });
      return { ...result, backend: this.pool.engine ?? 'unknown', elapsedMs };
    } catch (error) {
      throw toAnalysisError(error);
    }
  }
}
