import { Injectable } from '@nestjs/common';
import { ClusterCursor, clusterCursorAfter, FaceClusterRepository, FaceReviewRepository, keysetPage, ReviewFace } from '@visage/persistence';

const GROUPS_PER_PAGE = 24;

/** A face as the confirmation page shows it: by its crop. */
export interface ReviewFaceLink {
  faceId: number;
  cropUrl: string;
}

/** What the review pages read (from the database; every action goes through the receiver's API). */
@Injectable()
export class ReviewService {
  constructor(
    private readonly clusters: FaceClusterRepository,
    private readonly reviews: FaceReviewRepository,
  ) {}

  /** "Unknown people": a page of groups, most cohesive first, each with its typical faces then its outliers. */
  async unknownPeople(cursor?: ClusterCursor) {
    const page = keysetPage(await this.clusters.list(GROUPS_PER_PAGE + 1, cursor), GROUPS_PER_PAGE, clusterCursorAfter);
    const groups = page.items.map((group) => ({
      ...group,
      cohesionText: group.cohesion === null ? undefined : group.cohesion.toFixed(2),
      // The typical faces, then the ones marked unlike the rest, so the reviewer compares them before naming.
      faces: [...group.sampleFaces, ...group.outlierFaces].map((face) => ({
        ...face,
        cropUrl: cropUrl(face.faceId),
        imageUrl: `/images/${face.imageId}`,
      })),
    }));
    return { groups, nextUrl: page.nextCursor === null ? undefined : `/unknown?cursor=${page.nextCursor}` };
  }

  face(id: number): Promise<ReviewFace | undefined> {
    return this.reviews.findFace(id);
  }

  /** The faces of a group but those asked about (shown beside them on the confirmation page). */
  async otherFaces(clusterId: number, asked: ReadonlySet<number>): Promise<ReviewFaceLink[]> {
    const faces = (await this.clusters.find(clusterId))?.faces ?? [];
    return faces.filter((face) => !asked.has(face.faceId)).map((face) => ({ faceId: face.faceId, cropUrl: cropUrl(face.faceId) }));
  }
}

function cropUrl(faceId: number): string {
  return `/faces/${faceId}/crop`;
}
