/**
 * The bench's only calls into production matching, grouping and enrolment, in one place: branches that change the
 * match rule or the grouping update this file, and the evaluation (evaluate.ts) follows.
 */
import { VisageConfig } from '@visage/config';
import { FaceAnalysis } from '@visage/domain';
import { describeSingleFace, SingleFaceResult } from '@visage/enrolment';
import { ClusterIndex, Gallery, GalleryEntry, GalleryMatch, VersionedGallery } from '@visage/matcher';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';
import { DumpPhoto } from './face-dump';

/** A dumped photo as the recognizer would answer it. */
export function asAnalysis(photo: DumpPhoto): FaceAnalysis {
  return {
    width: photo.width,
    height: photo.height,
    faces: photo.faces.map((face) => ({ box: face.box, score: face.score, descriptor: Float32Array.from(face.descriptor) })),
  };
}

/** The recognizer port answering from the dump: enrolment runs its own rule (one face, or the dominant one) on it. */
class DumpedPhotoAnalyzer implements ContentFaceAnalyzer {
  constructor(private readonly photo: DumpPhoto) {}
  async analyzeContent(): Promise<FaceAnalysis> {
    return asAnalysis(this.photo);
  }
  async analyze(): Promise<FaceAnalysis> {
    return asAnalysis(this.photo);
  }
  async isServing(): Promise<boolean> {
    return true;
  }
}

/** What `POST /persons/:id/faces` and the known-faces folder would enrol from this photo. */
export function enrolmentOf(photo: DumpPhoto): Promise<SingleFaceResult> {
  return describeSingleFace(new DumpedPhotoAnalyzer(photo), Buffer.alloc(0), photo.file);
}

export type Matcher = (descriptor: Float32Array) => GalleryMatch | undefined;

/** The processor's match of one face against the gallery (VersionedGallery, as GalleryService loads it). */
export function createMatcher(entries: GalleryEntry[], config: VisageConfig): Matcher {
  const gallery = new VersionedGallery(1, new Gallery(entries), config.MATCH_THRESHOLD);
  return (descriptor) => gallery.match(descriptor);
}

/** The config with another match threshold: one point of the curve. */
export function withMatchThreshold(config: VisageConfig, threshold: number): VisageConfig {
  return { ...config, MATCH_THRESHOLD: threshold };
}

/**
 * The cluster job's grouping of unknown faces, nothing stored: ClusterIndex at CLUSTER_THRESHOLD (default
 * MATCH_THRESHOLD), every face added in arrival order, then the merge pass. Returns face id → group id.
 */
export function groupUnknownFaces(faces: ReadonlyArray<{ id: number; descriptor: Float32Array }>, config: VisageConfig): Map<number, number> {
  const index = new ClusterIndex(config.CLUSTER_THRESHOLD ?? config.MATCH_THRESHOLD);
  const groupOf = new Map<number, number>();
  for (const face of faces) groupOf.set(face.id, index.add(face.id, face.descriptor).clusterId);
  const { merged } = index.merge();
  for (const [faceId, groupId] of groupOf) groupOf.set(faceId, merged.get(groupId) ?? groupId);
  return groupOf;
}
