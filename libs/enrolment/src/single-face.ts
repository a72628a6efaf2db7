import { FaceAnalysisError } from '@visage/domain';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';

export type SingleFaceResult =
  | { status: 'ok'; descriptor: Float32Array }
  | { status: 'no_face' }
  | { status: 'several_faces'; count: number }
  | { status: 'invalid_image'; reason: string };

/**
 * Describes the one face an enrolment image must hold. Permanent recognizer errors (the file is not a usable
 * image) become `invalid_image`; transient ones (service down, overloaded) are thrown for the caller to retry.
 */
export async function describeSingleFace(analyzer: ContentFaceAnalyzer, content: Buffer, label: string): Promise<SingleFaceResult> {
  // Empty `content` is "not set" on the wire: the recognizer would look for a file named by the label and say
  // "no file at this path" about a file that is there, only empty.
  if (content.length === 0) return { status: 'invalid_image', reason: 'empty file' };
  let faces;
  try {
    ({ faces } = await analyzer.analyzeContent(content, { label }));
  } catch (error) {
    if (error instanceof FaceAnalysisError && error.kind === 'permanent') return { status: 'invalid_image', reason: error.message };
    throw error;
  }
  if (faces.length === 0) return { status: 'no_face' };
  if (faces.length > 1) return { status: 'several_faces', count: faces.length };
  return { status: 'ok', descriptor: faces[0].descriptor };
}
