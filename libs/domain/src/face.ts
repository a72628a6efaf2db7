import { FaceQualityInputs } from './face-quality';

/** Length of a FaceRecognitionNet descriptor. */
export const DESCRIPTOR_LENGTH = 128;

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  box: FaceBox;
  score: number;
  descriptor: Float32Array;
  landmarks?: Array<{ x: number; y: number }>;
  /** What the quality rule judges; absent from a recognizer that does not measure it (then never low quality). */
  quality?: FaceQualityInputs;
}

export interface FaceMatch {
  personId: number;
  personName: string;
  distance: number;
}
