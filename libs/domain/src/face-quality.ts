/**
 * What a face's quality is judged on, as the recognizer measures it: `size` the box's smaller side (pixels of the
 * image), `score` the detection score, `sharpness` the variance of the Laplacian of the face's grey crop
 * resampled to 64×64, and the head pose in degrees estimated from the 68 landmarks (`yaw` left/right, `pitch`
 * up/down, `roll` in-plane).
 */
export interface FaceQualityInputs {
  size: number;
  score: number;
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
}

/** The limits of the quality rule (QUALITY_* settings). Roll is not judged: alignment undoes it. */
export interface FaceQualityRule {
  minSize: number;
  minScore: number;
  minSharpness: number;
  maxYaw: number;
  maxPitch: number;
}

/** Why a face is of low quality; stable codes for the API. */
export type FaceQualityReason = 'too_small' | 'low_score' | 'blurred' | 'turned_away' | 'tilted_up_or_down';

export interface FaceQualityVerdict {
  /** Kept and shown, but never named and never enrolled. */
  lowQuality: boolean;
  reasons: FaceQualityReason[];
}

/**
 * The quality rule: a face is of low quality when any input is past its limit. Such a face is kept and shown
 * but never named (a blurred, tiny or turned face lands near strangers' enrolments by chance) and never enrolled.
 */
export function judgeFaceQuality(inputs: FaceQualityInputs, rule: FaceQualityRule): FaceQualityVerdict {
  const reasons: FaceQualityReason[] = [];
  if (inputs.size < rule.minSize) reasons.push('too_small');
  if (inputs.score < rule.minScore) reasons.push('low_score');
  if (inputs.sharpness < rule.minSharpness) reasons.push('blurred');
  if (Math.abs(inputs.yaw) > rule.maxYaw) reasons.push('turned_away');
  if (Math.abs(inputs.pitch) > rule.maxPitch) reasons.push('tilted_up_or_down');
  return { lowQuality: reasons.length > 0, reasons };
}
