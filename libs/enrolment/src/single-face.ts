import { FaceAnalysisError, FaceQualityReason, FaceQualityRule, judgeFaceQuality } from '@visage/domain';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';

export type SingleFaceResult =
  | { status: 'ok'; descriptor: Float32Array }
  | { status: 'no_face' }
  | { status: 'several_faces'; count: number }
  /** The one face is past the quality rule's limits: enrolling it would name strangers (docs/recognizer.md). */
  | { status: 'low_quality'; reasons: FaceQualityReason[] }
  | { status: 'invalid_image'; reason: string };

/**
 * Describes the one face an enrolment image must hold, refused when the quality rule judges it low quality.
 * Permanent recognizer errors (the file is not a usable image) become `invalid_image`; transient ones (service
 * down, overloaded) are thrown for the caller to retry.
 */
export async function describeSingleFace(analyzer: ContentFaceAnalyzer, content: Buffer, label: string, quality: FaceQualityRule): Promise<SingleFaceResult> {
  let faces;
  try {
    ({ faces } = await analyzer.analyzeContent(content, { label }));
  } catch (error) {
    if (error instanceof FaceAnalysisError && error.kind === 'permanent') return { status: 'invalid_image', reason: error.message };
    throw error;
  }
  if (faces.length === 0) return { status: 'no_face' };
  if (faces.length > 1) return { status: 'several_faces', count: faces.length };
  const verdict = faces[0].quality && judgeFaceQuality(faces[0].quality, quality);
  if (verdict?.lowQuality) return { status: 'low_quality', reasons: verdict.reasons };
  return { status: 'ok', descriptor: faces[0].descriptor };
}
