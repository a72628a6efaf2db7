import { DescriptorRecipe, FaceAnalysisError, FaceQualityReason, FaceQualityRule, judgeFaceQuality } from '@visage/domain';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';
import { DOMINANCE_MARGIN, dominantFace } from './dominant-face';

export type SingleFaceResult =
  /** `facesInPhoto` > 1: the photo showed others too, and the face taken is the clearly dominant one. */
  | { status: 'ok'; descriptor: Float32Array; recipe: DescriptorRecipe; facesInPhoto: number }
  | { status: 'no_face' }
  | { status: 'several_faces'; count: number }
  /** The one face is past the quality rule's limits: enrolling it would name strangers (docs/recognizer.md). */
  | { status: 'low_quality'; reasons: FaceQualityReason[] }
  | { status: 'invalid_image'; reason: string };

/**
 * Describes the face an enrolment image is of: its only face, or the clearly dominant one of several (largest and
 * most central by {@link DOMINANCE_MARGIN}, see dominant-face.ts); several faces none of which stands out are
 * refused, and so is a face the quality rule judges low quality. Permanent recognizer errors (the file is not a
 * usable image) become `invalid_image`; transient ones (service down, overloaded) are thrown for the caller to retry.
 */
export async function describeSingleFace(
  analyzer: ContentFaceAnalyzer,
  content: Buffer,
  label: string,
  quality: FaceQualityRule,
): Promise<SingleFaceResult> {
  // Empty `content` is "not set" on the wire: the recognizer would look for a file named by the label and say
  // "no file at this path" about a file that is there, only empty.
  if (content.length === 0) return { status: 'invalid_image', reason: 'empty file' };
  let analysis;
  try {
    analysis = await analyzer.analyzeContent(content, { label });
  } catch (error) {
    if (error instanceof FaceAnalysisError && error.kind === 'permanent') return { status: 'invalid_image', reason: error.message };
    throw error;
  }
  const { faces, width, height } = analysis;
  if (faces.length === 0) return { status: 'no_face' };
  const face = dominantFace(faces, width, height);
  if (!face) return { status: 'several_faces', count: faces.length };
  const verdict = face.quality && judgeFaceQuality(face.quality, quality);
  if (verdict?.lowQuality) return { status: 'low_quality', reasons: verdict.reasons };
  return { status: 'ok', descriptor: face.descriptor, recipe: analysis.recipe, facesInPhoto: faces.length };
}

/** Why a photo with several faces was refused, in the words of the API answer and the log. */
export function noDominantFaceReason(count: number): string {
  return `${count} faces found and none clearly dominant (the largest and most central by ${DOMINANCE_MARGIN}×); use a photo of the person alone or where they stand out`;
}

/** What the log and the API answer say when the dominant face of several was enrolled. */
export function dominantFaceNote(facesInPhoto: number): string | undefined {
  return facesInPhoto > 1 ? `the photo shows ${facesInPhoto} faces: the clearly dominant one (largest and most central) was enrolled` : undefined;
}
