import type * as tfjs from '@tensorflow/tfjs';

/**
 * The part of @vladmandic/face-api this service uses, typed against @tensorflow/tfjs. face-api bundles its own
 * partial copy of the tfjs typings, whose Tensor types do not unify with tfjs' own; the runtime objects are the
 * same (face-api's node builds `require('@tensorflow/tfjs')`), so the module is cast to this view once, in runtime.ts.
 */
export type Tf = typeof tfjs;
export type Tensor = tfjs.Tensor;
export type Tensor1D = tfjs.Tensor1D;
export type Tensor3D = tfjs.Tensor3D;
export type Tensor4D = tfjs.Tensor4D;

export interface FaceApiBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FaceApiPoint {
  x: number;
  y: number;
}

export interface FaceApiLandmarks68 {
  positions: FaceApiPoint[];
  shiftBy(x: number, y: number): FaceApiLandmarks68;
  align(detection: null, options: { useDlibAlignment: boolean }): FaceApiBox;
}

export interface FaceApiDetectionResult {
  detection: { score: number; box: FaceApiBox };
  landmarks: FaceApiLandmarks68;
  descriptor: Float32Array;
}

interface Loadable {
  loadFromDisk(path: string): Promise<void>;
  isLoaded: boolean;
}

/** Parameters of face-api's SSD MobileNetV1 once loaded (see face-api src/ssdMobilenetv1/types.ts). */
export interface SsdParams {
  mobilenetv1: Record<string, PointwiseParams | { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams }>;
  prediction_layer: Record<string, PointwiseParams | BoxPredictorParams>;
  output_layer: { extra_dim: Tensor };
}
export interface PointwiseParams {
  filters: Tensor4D;
  batch_norm_offset: Tensor1D;
}
export interface DepthwiseParams {
  filters: Tensor4D;
  batch_norm_scale: Tensor1D;
  batch_norm_offset: Tensor1D;
  batch_norm_mean: Tensor1D;
  batch_norm_variance: Tensor1D;
}
export interface ConvParams {
  filters: Tensor4D;
  bias: Tensor1D;
}
export interface BoxPredictorParams {
  box_encoding_predictor: ConvParams;
  class_predictor: ConvParams;
}

export interface FaceApi {
  version: string;
  tf: Tf;
  Rect: new (x: number, y: number, width: number, height: number) => FaceApiBox;
  SsdMobilenetv1Options: new (options: { minConfidence?: number; maxResults?: number }) => object;
  extractFaceTensors(image: Tensor3D, boxes: FaceApiBox[]): Promise<Tensor3D[]>;
  detectAllFaces(input: Tensor3D, options: object): { withFaceLandmarks(): { withFaceDescriptors(): Promise<FaceApiDetectionResult[]> } };
  nets: {
    ssdMobilenetv1: Loadable & { params: SsdParams | undefined };
    faceLandmark68Net: Loadable & { detectLandmarks(input: Tensor3D[]): Promise<FaceApiLandmarks68[]> };
    faceRecognitionNet: Loadable & { computeFaceDescriptor(input: Tensor3D[]): Promise<Float32Array[]> };
  };
}
