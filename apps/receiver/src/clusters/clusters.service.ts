import { HttpStatus, Injectable } from '@nestjs/common';
import {
  ClusterCursor,
  ClusterSummary,
  clusterCursorAfter,
  FaceClusterRepository,
  FaceReviewRepository,
  keysetPage,
  PersonImageRepository,
} from '@visage/persistence';
import { ApiError } from '../common/api-error';
import { NameClusterBody } from '../faces/dto/face.dto';
import { EnrolmentChecks } from '../faces/enrolment-checks';
import { personCreatedAudit } from '../persons/person-audit';
import { assertPersonExists } from '../persons/person-errors';
import { ClusterDetailDto, ClusterNamedDto, ClusterPageDto, ClusterSummaryDto, toClusterFaceDto } from './dto/cluster.dto';

/** Unknown people: groups of unknown faces, named, ignored or corrected by the review. */
@Injectable()
export class ClustersService {
  constructor(
    private readonly clusters: FaceClusterRepository,
    private readonly reviews: FaceReviewRepository,
    private readonly enrolments: PersonImageRepository,
    private readonly checks: EnrolmentChecks,
  ) {}

  async list(limit: number, cursor?: ClusterCursor): Promise<ClusterPageDto> {
    const { items, nextCursor } = keysetPage(await this.clusters.list(limit + 1, cursor), limit, clusterCursorAfter);
    return { items: items.map(toSummaryDto), nextCursor };
  }

  async get(id: number): Promise<ClusterDetailDto> {
    const cluster = await this.clusters.find(id);
    if (!cluster) throw clusterNotFound(id);
    return { ...toSummaryDto(cluster), faces: cluster.faces.map(toClusterFaceDto) };
  }

  /**
   * "Name this person": every face of the group (but those left out) is enrolled for the person, and the group
   * goes — one transaction, after the faces that do not fit were confirmed or left out (else 409).
   */
  async name(id: number, body: NameClusterBody, actor: string): Promise<ClusterNamedDto> {
    const { target, confirm } = body;
    const cluster = await this.clusters.find(id);
    if (!cluster) throw clusterNotFound(id);
    if (cluster.ignored) throw clusterIgnored(id);
    await assertPersonExists(this.enrolments, target);
    const members = await this.clusters.memberFaceIds(id);
    // Faces left out that are no longer in the group (the clustering job moved them meanwhile) are not this group's to judge.
    const leaveOut = new Set(body.leaveOut.filter((faceId) => members.includes(faceId)));
    const faceIds = members.filter((faceId) => !leaveOut.has(faceId));
    if (members.length > 0 && faceIds.length === 0) {
      throw new ApiError(HttpStatus.BAD_REQUEST, `every face of group ${id} was left out: there is nobody to name`, { code: 'all_faces_left_out' });
    }
    await this.checks.assertFit(faceIds, target, confirm, 'look at them, then send the request again with "confirm" and/or "leaveOut": [faceIds]');
    const audit = { actor, action: 'face.assigned', target: `cluster:${id}`, details: { faces: faceIds.length, leftOut: leaveOut.size } };
    const named = await this.reviews.assignFaces(faceIds, target, this.clusters.deleteUnlessIgnored(id), audit, {
      leftOut: [...leaveOut],
      personCreated: 'name' in target ? personCreatedAudit(actor, target.name) : undefined,
    });
    // The guard found the group gone or ignored meanwhile: nothing was changed.
    if (!named) {
      const now = await this.clusters.find(id);
      throw now ? clusterIgnored(id) : clusterNotFound(id);
    }
    return { clusterId: id, personId: named.personId, personName: named.personName, faceIds: named.faceIds, galleryVersion: named.galleryVersion };
  }

  async ignore(id: number, actor: string): Promise<ClusterSummaryDto> {
    if (!(await this.clusters.ignore(id, { actor, action: 'cluster.ignored', target: `cluster:${id}` }))) throw clusterNotFound(id);
    return this.get(id);
  }

  /** "Not the same person". */
  async removeFace(id: number, faceId: number, actor: string): Promise<void> {
    if (!(await this.clusters.find(id))) throw clusterNotFound(id);
    if (!(await this.clusters.removeFace(id, faceId, { actor, action: 'cluster.face_removed', target: `cluster:${id}`, details: { faceId } }))) {
      throw new ApiError(HttpStatus.NOT_FOUND, `face ${faceId} is not in group ${id}`, { code: 'face_not_in_cluster' });
    }
  }
}

function toSummaryDto(cluster: ClusterSummary): ClusterSummaryDto {
  return {
    id: cluster.id,
    size: cluster.size,
    imageCount: cluster.imageCount,
    ignored: cluster.ignored,
    cohesion: cluster.cohesion,
    outlierCount: cluster.outlierCount,
    sampleFaces: cluster.sampleFaces.map(toClusterFaceDto),
    outlierFaces: cluster.outlierFaces.map(toClusterFaceDto),
  };
}

function clusterNotFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `group ${id} does not exist`, { code: 'cluster_not_found' });
}

function clusterIgnored(id: number): ApiError {
  return new ApiError(HttpStatus.CONFLICT, `group ${id} is ignored; it cannot be named`, { code: 'cluster_ignored' });
}
