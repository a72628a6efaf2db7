import { FaceQualityInputs } from './face-quality';

/**
 * Length of every descriptor Visage holds: the longest recipe's (`mobilefacenet`, 512 floats). A recipe whose net
 * gives fewer (FaceRecognitionNet: 128) is padded with zeros ({@link padDescriptor}), which leaves every Euclidean
 * distance — hence thresholds, margins and groups — exactly as its net gives them.
 */
export const DESCRIPTOR_LENGTH = 512;

/**
 * How a face's descriptor was computed: which net, fed what. Two recipes give two descriptor distributions, so
 * descriptors of different recipes are never compared (docs/recognizer.md, "Descriptor recipes").
 * - `crop`: FaceRecognitionNet on face-api's axis-aligned crop around eyes and mouth (the recipe of every descriptor
 *   stored before recipes).
 * - `chip-flip`: FaceRecognitionNet on dlib's face chip (rotated, fitted to dlib's mean face, 150 px, padding 0.25)
 *   and its mirror image, the two descriptors averaged.
 * - `mobilefacenet`: the 512-float MobileFaceNet of `faceplugin-face-recognition-js` on the ArcFace 112 × 112
 *   five-point alignment, scaled to half a unit vector (distances 0–1).
 */
export const DESCRIPTOR_RECIPES = ['crop', 'chip-flip', 'mobilefacenet'] as const;
export type DescriptorRecipe = (typeof DESCRIPTOR_RECIPES)[number];
/** FACE_DESCRIPTOR_RECIPE's default: the recipe measured best (docs/recognizer.md, "Descriptor recipes"). */
export const DEFAULT_DESCRIPTOR_RECIPE: DescriptorRecipe = 'mobilefacenet';
/** The recipe of descriptors stored before recipes existed (the migration tags them so). */
export const LEGACY_DESCRIPTOR_RECIPE: DescriptorRecipe = 'crop';

/** How many floats each recipe's net gives (the rest of {@link DESCRIPTOR_LENGTH} is zeros). */
export const RECIPE_DESCRIPTOR_LENGTH: Readonly<Record<DescriptorRecipe, number>> = { crop: 128, 'chip-flip': 128, mobilefacenet: 512 };

/** A net's output as a held descriptor: zero-padded to {@link DESCRIPTOR_LENGTH}; a full-length one is returned as is. */
export function padDescriptor(values: Float32Array): Float32Array {
  if (values.length === DESCRIPTOR_LENGTH) return values;
  if (values.length > DESCRIPTOR_LENGTH) throw new RangeError(`descriptor has ${values.length} values, at most ${DESCRIPTOR_LENGTH} expected`);
  const padded = new Float32Array(DESCRIPTOR_LENGTH);
  padded.set(values);
  return padded;
}

/**
 * The operating point measured for each recipe on the LFW dev set (docs/recognizer.md, "Operating point"): the
 * defaults of MATCH_THRESHOLD, MATCH_MARGIN and CLUSTER_THRESHOLD when they are not set, and the distance beyond
 * which two enrolments of one person are taken to show two people (the people page's flag; "Review checks").
 */
export interface OperatingPoint {
  matchThreshold: number;
  matchMargin: number;
  clusterThreshold: number;
  enrolmentDisagreement: number;
}

export const RECIPE_OPERATING_POINTS: Readonly<Record<DescriptorRecipe, OperatingPoint>> = {
  crop: { matchThreshold: 0.49, matchMargin: 0.08, clusterThreshold: 0.46, enrolmentDisagreement: 0.7 },
  'chip-flip': { matchThreshold: 0.5, matchMargin: 0.08, clusterThreshold: 0.44, enrolmentDisagreement: 0.7 },
  mobilefacenet: { matchThreshold: 0.52, matchMargin: 0.03, clusterThreshold: 0.48, enrolmentDisagreement: 0.65 },
};

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
