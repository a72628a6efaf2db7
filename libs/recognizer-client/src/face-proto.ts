import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync, Options } from '@grpc/proto-loader';

const PROTO_RELATIVE = join('proto', 'visage', 'face', 'v1', 'face.proto');

/**
 * The repository's `proto/` folder, found by walking up from this file: the same code runs from
 * `libs/…/src` (tests, tsx) and from `dist/libs/…/src` (build), which sit at different depths.
 */
export function findFaceProtoPath(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, PROTO_RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const fromCwd = resolve(process.cwd(), PROTO_RELATIVE);
  if (existsSync(fromCwd)) return fromCwd;
  throw new Error(`${PROTO_RELATIVE} not found above ${start} nor in ${process.cwd()}`);
}

/** camelCase fields, bytes as Buffer, defaults filled in: the same view on both sides of the wire. */
export const FACE_PROTO_OPTIONS: Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

export const FACE_ANALYSIS_SERVICE = 'visage.face.v1.FaceAnalysis';

export interface AnalyzeImageRequest {
  path: string;
  includeLandmarks: boolean;
  content: Buffer;
}

export interface WirePoint {
  x: number;
  y: number;
}

export interface WireFaceQuality {
  size: number;
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
}

export interface WireFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  descriptor: number[];
  landmarks: WirePoint[];
  /** null from a recognizer older than the field (proto-loader's default for an absent message). */
  quality?: WireFaceQuality | null;
}

export interface AnalyzeImageResponse {
  width: number;
  height: number;
  faces: WireFace[];
  backend: string;
  elapsedMs: number;
  /** `crop` | `chip-flip`; empty from a recognizer older than the field (which computes `crop`). */
  descriptorRecipe: string;
}

/** Metadata key carrying the machine-readable reason of an INVALID_ARGUMENT / NOT_FOUND / PERMISSION_DENIED. */
export const REASON_METADATA_KEY = 'visage-reason';
/** Metadata key of the request id an image was submitted with (logged by the recognizer). */
export const REQUEST_ID_METADATA_KEY = 'x-request-id';

export interface FaceAnalysisClient extends grpc.Client {
  analyzeImage(
    request: Partial<AnalyzeImageRequest>,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: AnalyzeImageResponse) => void,
  ): grpc.ClientUnaryCall;
}

export type FaceAnalysisClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => FaceAnalysisClient;

interface FaceAnalysisPackage {
  visage: { face: { v1: { FaceAnalysis: grpc.ServiceClientConstructor } } };
}

let cached: FaceAnalysisPackage | undefined;

/** Loads `visage.face.v1` once per process. */
export function loadFaceAnalysisPackage(): FaceAnalysisPackage {
  cached ??= grpc.loadPackageDefinition(loadSync(findFaceProtoPath(), FACE_PROTO_OPTIONS)) as unknown as FaceAnalysisPackage;
  return cached;
}

export function faceAnalysisServiceDefinition(): grpc.ServiceDefinition {
  return loadFaceAnalysisPackage().visage.face.v1.FaceAnalysis.service;
}

export function faceAnalysisClientConstructor(): FaceAnalysisClientConstructor {
  return loadFaceAnalysisPackage().visage.face.v1.FaceAnalysis as unknown as FaceAnalysisClientConstructor;
}
