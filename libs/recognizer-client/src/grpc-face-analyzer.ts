import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import { DESCRIPTOR_LENGTH, FaceAnalysis, FaceAnalysisError, FaceAnalyzer } from '@visage/domain';
import { currentLogContext } from '@visage/observability';
import { ImagePathError, resolveImagePath } from '@visage/storage';
import {
  AnalyzeImageRequest,
  AnalyzeImageResponse,
  FaceAnalysisClient,
  faceAnalysisClientConstructor,
  FACE_ANALYSIS_SERVICE,
  REQUEST_ID_METADATA_KEY,
} from './face-proto';
import { toFaceAnalysisError } from './status-mapping';

export interface GrpcFaceAnalyzerOptions {
  /** host:port of the face-recognition service. */
  address: string;
  /** Default per-call deadline (FACE_RECOGNITION_DEADLINE_MS). */
  deadlineMs: number;
  /** Largest image sent by {@link GrpcFaceAnalyzer.analyzeContent} (MAX_IMAGE_BYTES). */
  maxImageBytes?: number;
  /**
   * Set (FACE_RECOGNITION_INPUT=content): `analyze(path)` reads the file under this root itself and sends its bytes,
   * so the recognizer needs no images volume. Unset: the path is sent and the recognizer reads it.
   */
  sendContentFrom?: string;
}

export interface AnalyzeOptions {
  deadlineMs?: number;
  includeLandmarks?: boolean;
}

/** A {@link FaceAnalyzer} that can also send the image bytes (enrolment from files the service cannot see). */
export interface ContentFaceAnalyzer extends FaceAnalyzer {
  analyzeContent(content: Buffer, options?: AnalyzeOptions & { label?: string }): Promise<FaceAnalysis>;
}

interface HealthCheckResponse {
  status: string;
}
interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: HealthCheckResponse) => void,
  ): grpc.ClientUnaryCall;
}
type HealthClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => HealthClient;

let healthConstructor: HealthClientConstructor | undefined;
function healthClientConstructor(): HealthClientConstructor {
  if (!healthConstructor) {
    const definition = grpc.loadPackageDefinition(loadSync(HEALTH_PROTO_PATH, { keepCase: true, enums: String, defaults: true }));
    const health = (definition.grpc as grpc.GrpcObject).health as grpc.GrpcObject;
    healthConstructor = (health.v1 as grpc.GrpcObject).Health as unknown as HealthClientConstructor;
  }
  return healthConstructor;
}

/** Wire response → domain analysis (descriptors back to Float32Array, landmarks only when sent). */
export function fromWire(response: AnalyzeImageResponse): FaceAnalysis {
  return {
    width: response.width,
    height: response.height,
    faces: response.faces.map((face) => {
      if (face.descriptor.length !== DESCRIPTOR_LENGTH) {
        throw new FaceAnalysisError('transient', `descriptor of length ${face.descriptor.length}, expected ${DESCRIPTOR_LENGTH}`, 'INTERNAL');
      }
      return {
        box: { x: face.box.x, y: face.box.y, width: face.box.width, height: face.box.height },
        score: face.score,
        descriptor: Float32Array.from(face.descriptor),
        ...(face.landmarks.length > 0 ? { landmarks: face.landmarks.map(({ x, y }) => ({ x, y })) } : {}),
      };
    }),
  };
}

/** The request id of the log context (the image's, in the processor) travels as `x-request-id` metadata. */
function requestMetadata(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const { requestId } = currentLogContext();
  if (requestId) metadata.set(REQUEST_ID_METADATA_KEY, requestId);
  return metadata;
}

/**
 * gRPC adapter of the {@link FaceAnalyzer} port. Every call carries a deadline; failures become
 * {@link FaceAnalysisError}s whose `kind` tells the caller whether a retry can help.
 */
export class GrpcFaceAnalyzer implements ContentFaceAnalyzer {
  private readonly client: FaceAnalysisClient;
  private readonly health: HealthClient;

  constructor(private readonly options: GrpcFaceAnalyzerOptions) {
    const maxSend = (options.maxImageBytes ?? 20 * 1024 * 1024) + 64 * 1024;
    const channelOptions: grpc.ClientOptions = {
      'grpc.max_send_message_length': maxSend,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    };
    const ClientConstructor = faceAnalysisClientConstructor();
    this.client = new ClientConstructor(options.address, grpc.credentials.createInsecure(), channelOptions);
    const HealthConstructor = healthClientConstructor();
    // Same channel as the analyses: a healthy probe must mean the analyses' connection is up. On a channel of
    // its own the probe reconnected first while the analysis channel sat in its reconnect backoff, so the
    // breaker closed, the next calls failed UNAVAILABLE and every image they carried spent an attempt.
    this.health = new HealthConstructor(options.address, grpc.credentials.createInsecure(), {
      channelOverride: this.client.getChannel(),
    });
  }

  async analyze(path: string, options: AnalyzeOptions = {}): Promise<FaceAnalysis> {
    if (this.options.sendContentFrom !== undefined) return this.analyzeContent(await this.readImage(this.options.sendContentFrom, path), { ...options, label: path });
    return this.call({ path, includeLandmarks: options.includeLandmarks ?? false }, options.deadlineMs);
  }

  /**
   * The bytes the recognizer would have read, under the same rules: a path problem is permanent (the recognizer
   * answers it NOT_FOUND / INVALID_ARGUMENT with the same reason), a failing disk transient.
   */
  private async readImage(root: string, path: string): Promise<Buffer> {
    try {
      const resolved = await resolveImagePath(root, path, { maxBytes: this.options.maxImageBytes });
      return await readFile(resolved.absolute);
    } catch (error) {
      if (error instanceof ImagePathError) {
        throw new FaceAnalysisError('permanent', `${error.problem}: ${error.message}`, error.problem === 'not_found' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', error.problem);
      }
      throw new FaceAnalysisError('transient', `reading ${path}: ${(error as Error).message}`, 'UNAVAILABLE');
    }
  }

  analyzeContent(content: Buffer, options: AnalyzeOptions & { label?: string } = {}): Promise<FaceAnalysis> {
    return this.call(
      { path: options.label ?? '', content, includeLandmarks: options.includeLandmarks ?? false },
      options.deadlineMs,
    );
  }

  isServing(options: { deadlineMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (options.deadlineMs ?? 2_000);
    return new Promise((resolve) => {
      this.health.check({ service: FACE_ANALYSIS_SERVICE }, new grpc.Metadata(), { deadline }, (error, response) => {
        resolve(!error && response?.status === 'SERVING');
      });
    });
  }

  close(): void {
    this.client.close();
    this.health.close();
  }

  private call(request: Partial<AnalyzeImageRequest>, deadlineMs = this.options.deadlineMs): Promise<FaceAnalysis> {
    const deadline = Date.now() + deadlineMs;
    return new Promise((resolve, reject) => {
      this.client.analyzeImage(request, requestMetadata(), { deadline }, (error, response) => {
        if (error) return reject(toFaceAnalysisError(error));
        if (!response) return reject(new FaceAnalysisError('transient', 'empty response', 'INTERNAL'));
        try {
          resolve(fromWire(response));
        } catch (conversion) {
          reject(conversion);
        }
      });
    });
  }
}
