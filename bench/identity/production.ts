/**
 * The bench's only calls into production matching, grouping and enrolment, in one place: branches that change the
 * match rule or the grouping update this file, and the evaluation (evaluate.ts) follows.
 */
import { VisageConfig } from '@visage/config';
import { DescriptorRecipe, FaceAnalysis } from '@visage/domain';
import { describeSingleFace, SingleFaceResult } from '@visage/enrolment';
import { ClusterIndex, Gallery, GalleryEntry, GalleryMatch, isGroupable, matchRuleOf, qualityRuleOf, VersionedGallery } from '@visage/matcher';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';
import { DumpPhoto, dumpDescriptor } from './face-dump';

/** A dumped photo as the recognizer would answer it (the recipe: the configured one, which made the dump). */
export function asAnalysis(photo: DumpPhoto, recipe: DescriptorRecipe): FaceAnalysis {
  return {
    width: photo.width,
    height: photo.height,
    recipe,
    faces: photo.faces.map((face) => ({ box: face.box, score: face.score, descriptor: dumpDescriptor(face.descriptor) })),
  };
}

/** The recognizer port answering from the dump: enrolment runs its own rule (one face, or the dominant one) on it. */
class DumpedPhotoAnalyzer implements ContentFaceAnalyzer {
  constructor(
    private readonly photo: DumpPhoto,
    private readonly recipe: DescriptorRecipe,
  ) {}
  async analyzeContent(): Promise<FaceAnalysis> {
    return asAnalysis(this.photo, this.recipe);
  }
  async analyze(): Promise<FaceAnalysis> {
    return asAnalysis(this.photo, this.recipe);
  }
  async isServing(): Promise<boolean> {
    return true;
  }
}

/**
 * What `POST /persons/:id/faces` and the known-faces folder would enrol from this photo (the dump holds no quality
 * inputs, so the quality rule passes every face here; bench:open-set measures them from the photos).
 */
export function enrolmentOf(photo: DumpPhoto, config: VisageConfig): Promise<SingleFaceResult> {
  // The dumped analyzer never reads the bytes, but empty content is refused up front as an empty file.
  const content = Buffer.from(photo.file);
  return describeSingleFace(new DumpedPhotoAnalyzer(photo, config.FACE_DESCRIPTOR_RECIPE), content, photo.file, qualityRuleOf(config));
}

export type Matcher = (descriptor: Float32Array) => GalleryMatch | undefined;

/** The processor's match of one face against the gallery (VersionedGallery, as GalleryService loads it): MATCH_THRESHOLD and MATCH_MARGIN. */
export function createMatcher(entries: GalleryEntry[], config: VisageConfig): Matcher {
  const gallery = new VersionedGallery(1, new Gallery(entries), matchRuleOf(config));
  return (descriptor) => gallery.match(descriptor);
}

/** The config with another match threshold: one point of the curve. */
export function withMatchThreshold(config: VisageConfig, threshold: number): VisageConfig {
  return { ...config, MATCH_THRESHOLD: threshold };
}

/**
 * The cluster job's grouping of unknown faces, nothing stored: ClusterIndex at CLUSTER_THRESHOLD (average linkage,
 * cannot-links between faces of one photo), every face large enough to be grouped added in arrival order. Returns
 * face id → group id; a face too small to be grouped is a group of its own (−its id), as it stays ungrouped.
 */
export function groupUnknownFaces(
  faces: ReadonlyArray<{ id: number; photo: number; descriptor: Float32Array; box: { width: number; height: number } }>,
  config: VisageConfig,
): Map<number, number> {
  const index = new ClusterIndex(config.CLUSTER_THRESHOLD);
  for (const face of faces) if (isGroupable(face.box)) index.add({ id: face.id, imageId: face.photo, descriptor: face.descriptor });
  return new Map(faces.map((face) => [face.id, index.groupOf(face.id) ?? -face.id]));
}
