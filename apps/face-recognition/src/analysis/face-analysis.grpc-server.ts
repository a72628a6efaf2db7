import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ConfigService } from '@visage/config';
import {
  AnalyzeImageRequest,
  AnalyzeImageResponse,
  carriesRecognizerToken,
  FACE_ANALYSIS_SERVICE,
  faceAnalysisServiceDefinition,
  REASON_METADATA_KEY,
  RECOGNIZER_AUTH_METADATA_KEY,
  RecognizerCredentials,
  recognizerCredentialsFrom,
  recognizerServerCredentials,
  REQUEST_ID_METADATA_KEY,
} from '@visage/recognizer-client';
import { isValidRequestId, withLogContext } from '@visage/observability';
import { AnalysisError } from './analysis-error';
import { AnalysisService, AnalyzeOutcome } from './analysis.service';

function toWire(outcome: AnalyzeOutcome): AnalyzeImageResponse {
  return {
    width: outcome.width,
    height: outcome.height,
    backend: outcome.backend,
    elapsedMs: outcome.elapsedMs,
    descriptorRecipe: outcome.recipe,
    faces: outcome.faces.map((face) => ({
      box: face.box,
      score: face.score,
      descriptor: Array.from(face.descriptor),
      landmarks: face.landmarks ?? [],
      quality: {
        size: face.quality.size,
        sharpness: face.quality.sharpness,
        yaw: face.quality.yaw,
        pitch: face.quality.pitch,
        roll: face.quality.roll,
      },
    })),
  };
}

/**
 * Work queued here gives up this long before the caller's deadline, so the caller hears "deadline passed while
 * queued" (overload: no attempt spent) instead of its own bare DEADLINE_EXCEEDED (which counts as a failure).
 */
const ANSWER_BEFORE_DEADLINE_MS = 250;

/** Epoch ms by which the call must be answered (the caller's deadline less a margin), or undefined without one. */
function callDeadline(call: grpc.ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return Number.isFinite(at) ? at - ANSWER_BEFORE_DEADLINE_MS : undefined;
}

/**
 * A plain @grpc/grpc-js server rather than Nest's Transport.GRPC: it binds port 0 and reports the port (tests,
 * the embedded launcher), exposes each call's deadline and cancellation, hosts the standard grpc.health.v1
 * service next to ours, and raises the message size limit for enrolment uploads. Nest still owns its life cycle.
 */
@Injectable()
export class FaceAnalysisGrpcServer implements OnApplicationShutdown {
  private readonly logger = new Logger('FaceAnalysisGrpc');
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [FACE_ANALYSIS_SERVICE]: 'NOT_SERVING' });
  private server?: grpc.Server;
  private boundPort?: number;

  constructor(
    @Inject(AnalysisService) private readonly analysis: AnalysisService,
    @Inject(ConfigService) config: ConfigService,
  ) {
    this.maxMessageBytes = config.get('MAX_IMAGE_BYTES') + 64 * 1024;
    this.credentials = recognizerCredentialsFrom(config.values);
  }

  private readonly maxMessageBytes: number;
  private readonly credentials: RecognizerCredentials;

  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * Binds `host:port` (port 0 = any free port) and returns the bound port. Refuses to start without a
   * RECOGNIZER_TOKEN: the analyses hand out biometric descriptors, so they are never served to anonymous callers.
   */
  async listen(port: number, host: string): Promise<number> {
    if (this.server) throw new Error('gRPC server already started');
    if (!this.credentials.token) {
      throw new Error('RECOGNIZER_TOKEN: required (every recognizer call must carry it: openssl rand -base64 32)');
    }
    const server = new grpc.Server({ 'grpc.max_receive_message_length': this.maxMessageBytes });
    server.addService(faceAnalysisServiceDefinition(), { analyzeImage: this.analyzeImage });
    this.health.addToServer(server);
    this.server = server;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, recognizerServerCredentials(this.credentials), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    const transport = this.credentials.tls ? (this.credentials.tls.ca ? 'mutual TLS' : 'TLS') : 'plaintext';
    this.logger.log(`gRPC ${FACE_ANALYSIS_SERVICE} listening on ${host}:${this.boundPort} (${transport}, token required)`);
    this.analysis.whenReady().then(
      () => this.setServing(true),
      () => this.setServing(false),
    );
    return this.boundPort;
  }

  private setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    this.health.setStatus(FACE_ANALYSIS_SERVICE, status);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.setServing(false);
    this.server = undefined;
    // Let in-flight calls finish for a moment, then cut the rest.
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 5_000);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private readonly analyzeImage = (
    call: grpc.ServerUnaryCall<AnalyzeImageRequest, AnalyzeImageResponse>,
    callback: grpc.sendUnaryData<AnalyzeImageResponse>,
  ): void => {
    // Before anything else (the request is not even looked at): the health service stays open for probes.
    if (!carriesRecognizerToken(call.metadata, this.credentials.token ?? '')) {
      const presented = call.metadata.get(RECOGNIZER_AUTH_METADATA_KEY).length > 0 ? 'a wrong' : 'no';
      this.logger.warn(`refused an AnalyzeImage call from ${call.getPeer()}: ${presented} recognizer token`);
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong recognizer token (RECOGNIZER_TOKEN)' });
      return;
    }
    const [given] = call.metadata.get(REQUEST_ID_METADATA_KEY);
    const requestId = typeof given === 'string' && isValidRequestId(given) ? given : undefined;
    withLogContext({ app: 'face-recognition', requestId }, () => this.analyzeInContext(call, callback));
  };

  private analyzeInContext(
    call: grpc.ServerUnaryCall<AnalyzeImageRequest, AnalyzeImageResponse>,
    callback: grpc.sendUnaryData<AnalyzeImageResponse>,
  ): void {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    const request = call.request;
    this.analysis
      .analyze({
        path: request.path,
        content: request.content,
        includeLandmarks: request.includeLandmarks,
        deadline: callDeadline(call),
        signal: abort.signal,
      })
      .then(
        (outcome) => {
          this.logger.log(`analyzed ${request.path || '(content)'}: ${outcome.faces.length} face(s) in ${Math.round(outcome.elapsedMs)} ms`);
          callback(null, toWire(outcome));
        },
        (error: AnalysisError) => {
          if (error.code === grpc.status.INTERNAL) this.logger.error(`analysis of ${request.path || '(content)'} failed: ${error.message}`);
          else this.logger.log(`refused ${request.path || '(content)'}: ${error.message}`);
          const metadata = new grpc.Metadata();
          metadata.set(REASON_METADATA_KEY, error.reason);
          callback({ code: error.code, details: error.message, metadata });
        },
      );
  }
}
