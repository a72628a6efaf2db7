import { FaceQualityInputs } from './face-quality';

/** Length of a FaceRecognitionNet descriptor. */
export const DESCRIPTOR_LENGTH = 128;

/**
 * How a face's descriptor was computed: what FaceRecognitionNet was fed. Two recipes give two descriptor
 * distributions, so descriptors of different recipes are never compared (docs/recognizer.md, "Descriptor recipes").
 * - `crop`: face-api's axis-aligned crop around eyes and mouth (the recipe of every descriptor stored before recipes).
 * - `chip-flip`: dlib's face chip (rotated, fitted to dlib's mean face, 150 px, padding 0.25) and its mirror image,
 *   the two descriptors averaged.
 */
export const DESCRIPTOR_RECIPES = ['crop', 'chip-flip'] as const;
export type DescriptorRecipe = (typeof DESCRIPTOR_RECIPES)[number];
/** FACE_DESCRIPTOR_RECIPE's default: the recipe measured best (docs/recognizer.md, "Descriptor recipes"). */
export const DEFAULT_DESCRIPTOR_RECIPE: DescriptorRecipe = 'chip-flip';
/** The recipe of descriptors stored before recipes existed (the migration tags them so). */
export const LEGACY_DESCRIPTOR_RECIPE: DescriptorRecipe = 'crop';

export function isDescriptorRecipe(value: unknown): value is DescriptorRecipe {
  return typeof value === 'string' && (DESCRIPTOR_RECIPES as readonly string[]).includes(value);
}

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
