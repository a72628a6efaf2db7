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
}

export interface FaceMatch {
  personId: number;
  personName: string;
  distance: number;
}
