import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import {
  FaceAnalysis,
  FaceAnalysisError,
  FaceAnalyzer,
  isDescriptorRecipe,
  LEGACY_DESCRIPTOR_RECIPE,
  padDescriptor,
  RECIPE_DESCRIPTOR_LENGTH,
} from '@visage/domain';
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
import { attachRecognizerToken, recognizerChannelCredentials, RecognizerCredentials } from './recognizer-credentials';
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
  /** RECOGNIZER_TOKEN (sent with every analysis) and the optional TLS files. */
  credentials: RecognizerCredentials;
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

/**
 * How long a call waits for a connection before it fails UNAVAILABLE. gRPC would queue it ("Waiting for LB pick")
 * for its whole deadline (30 s) while the channel cannot connect — a recognizer that went away without refusing
 * connections — so the breaker heard of the outage only after the deadline; now within seconds.
 */
export const RECOGNIZER_CONNECT_TIMEOUT_MS = 2_000;

/** Wire response → domain analysis (descriptors back to Float32Array, landmarks and quality only when sent). */
export function fromWire(response: AnalyzeImageResponse): FaceAnalysis {
  const recipe = response.descriptorRecipe === '' ? LEGACY_DESCRIPTOR_RECIPE : response.descriptorRecipe;
  if (!isDescriptorRecipe(recipe)) throw new FaceAnalysisError('transient', `unknown descriptor recipe ${JSON.stringify(recipe)}`, 'INTERNAL');
  return {
    width: response.width,
    height: response.height,
    recipe,
    faces: response.faces.map((face) => {
      // On the wire a descriptor has its net's length (128 or 512 floats); it is held padded to DESCRIPTOR_LENGTH.
      const expected = RECIPE_DESCRIPTOR_LENGTH[recipe];
      if (face.descriptor.length !== expected) {
        throw new FaceAnalysisError('transient', `${recipe} descriptor of length ${face.descriptor.length}, expected ${expected}`, 'INTERNAL');
      }
      return {
        box: { x: face.box.x, y: face.box.y, width: face.box.width, height: face.box.height },
        score: face.score,
        descriptor: padDescriptor(Float32Array.from(face.descriptor)),
        ...(face.landmarks.length > 0 ? { landmarks: face.landmarks.map(({ x, y }) => ({ x, y })) } : {}),
        ...(face.quality ? { quality: { ...face.quality, score: face.score } } : {}),
      };
    }),
  };
}

/** The token, and the request id of the log context (the image's, in the processor) as `x-request-id` metadata. */
function requestMetadata(token: string | undefined): grpc.Metadata {
  const metadata = attachRecognizerToken(new grpc.Metadata(), token);
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
    const channelCredentials = recognizerChannelCredentials(options.credentials);
    this.client = new ClientConstructor(options.address, channelCredentials, channelOptions);
    const HealthConstructor = healthClientConstructor();
    // Same channel as the analyses: a healthy probe must mean the analyses' connection is up. On a channel of
    // its own the probe reconnected first while the analysis channel sat in its reconnect backoff, so the
    // breaker closed, the next calls failed UNAVAILABLE and every image they carried spent an attempt.
    this.health = new HealthConstructor(options.address, channelCredentials, {
      channelOverride: this.client.getChannel(),
    });
  }

  async analyze(path: string, options: AnalyzeOptions = {}): Promise<FaceAnalysis> {
    if (this.options.sendContentFrom !== undefined)
      return this.analyzeContent(await this.readImage(this.options.sendContentFrom, path), { ...options, label: path });
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
        throw new FaceAnalysisError(
          'permanent',
          `${error.code}: ${error.message}`,
          error.code === 'not_found' ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
          error.code,
        );
      }
      throw new FaceAnalysisError('transient', `reading ${path}: ${(error as Error).message}`, 'UNAVAILABLE');
    }
  }

  analyzeContent(content: Buffer, options: AnalyzeOptions & { label?: string } = {}): Promise<FaceAnalysis> {
    return this.call({ path: options.label ?? '', content, includeLandmarks: options.includeLandmarks ?? false }, options.deadlineMs);
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

  /** Resolves once the channel is connected; fails fast (UNAVAILABLE) when it cannot connect within the connect timeout. */
  private connected(deadline: number): Promise<void> {
    if (this.client.getChannel().getConnectivityState(true) === grpc.connectivityState.READY) return Promise.resolve();
    const waitMs = Math.max(0, Math.min(deadline - Date.now(), RECOGNIZER_CONNECT_TIMEOUT_MS));
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + waitMs, (error) => {
        if (!error) return resolve();
        reject(new FaceAnalysisError('transient', `no connection to the recognizer within ${waitMs} ms (${error.message})`, 'UNAVAILABLE'));
      });
    });
  }

  private async call(request: Partial<AnalyzeImageRequest>, deadlineMs = this.options.deadlineMs): Promise<FaceAnalysis> {
    const deadline = Date.now() + deadlineMs;
    await this.connected(deadline);
    return new Promise((resolve, reject) => {
      this.client.analyzeImage(request, requestMetadata(this.options.credentials.token), { deadline }, (error, response) => {
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
