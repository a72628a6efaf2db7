import { HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { FaceClusterRepository, FaceReviewRepository, PersonImageRepository, ReviewFace } from '@visage/persistence';
import { FaceCropCache } from '@visage/storage';
import { ApiError } from '../common/api-error';
import { personCreatedAudit } from '../persons/person-audit';
import { assertPersonExists } from '../persons/person-errors';
import { AssignBody, FaceAssignmentDto, FaceRejectionDto } from './dto/face.dto';
import { EnrolmentChecks } from './enrolment-checks';

export type FaceCrop = { kind: 'image'; etag: string; body: Buffer } | { kind: 'not-modified'; etag: string };

/** Face review: assign a face to a person ("This is …", or a move from the person it was named after), reject its person ("Not <name>"), its crop. */
@Injectable()
export class FacesService {
  private readonly crops: FaceCropCache;

  constructor(
    private readonly reviews: FaceReviewRepository,
    private readonly enrolments: PersonImageRepository,
    private readonly clusters: FaceClusterRepository,
    private readonly checks: EnrolmentChecks,
    config: ConfigService,
  ) {
    this.crops = new FaceCropCache({
      root: config.get('storage').imagesRoot,
      maxBytes: config.get('MAX_IMAGE_BYTES'),
      maxPixels: config.get('MAX_IMAGE_PIXELS'),
    });
  }

  async assign(faceId: number, body: AssignBody, actor: string): Promise<FaceAssignmentDto> {
    const face = await this.face(faceId);
    if (!face.hasDescriptor) {
      throw new ApiError(
        HttpStatus.CONFLICT,
        `face ${faceId} was stored without its descriptor and cannot be enrolled; run npm run backfill-descriptors`,
        {
          code: 'face_without_descriptor',
        },
      );
    }
    if (face.lowQuality) {
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, `face ${faceId} is of low quality (blurred, small or turned away); it is never enrolled`, {
        code: 'low_quality',
      });
    }
    if ((await this.clusters.clusterOf(faceId))?.ignored) {
      throw new ApiError(HttpStatus.CONFLICT, `face ${faceId} is in an ignored group; it cannot be named`, { code: 'face_ignored' });
    }
    const { target, confirm } = body;
    await assertPersonExists(this.enrolments, target);
    await this.checks.assertFit([faceId], target, confirm, 'look at the face, then send the request again with "confirm": [faceId]');
    // A face named after someone else moves to the target: its own review enrolment (if any) goes with it.
    const moved = face.personId !== null && ('personId' in target ? face.personId !== target.personId : face.personName !== target.name);
    const audit = moved
      ? { actor, action: 'face.moved', target: `face:${faceId}`, details: { fromPersonId: face.personId } }
      : { actor, action: 'face.assigned', target: `face:${faceId}` };
    const assigned = await this.reviews.assign(faceId, target, audit, {
      personCreated: 'name' in target ? personCreatedAudit(actor, target.name) : undefined,
    });
    if (!assigned) throw faceNotFound(faceId);
    return { ...assigned, previousPersonId: moved ? face.personId : null };
  }

  async reject(faceId: number, actor: string): Promise<FaceRejectionDto> {
    const face = await this.face(faceId);
    if (face.personId === null || face.personName === null) {
      throw new ApiError(HttpStatus.CONFLICT, `face ${faceId} is not named after anyone; nothing to reject`, { code: 'face_not_named' });
    }
    if (
      !(await this.reviews.reject(faceId, face.personId, {
        actor,
        action: 'face.rejected',
        target: `face:${faceId}`,
        details: { personId: face.personId },
      }))
    ) {
      throw new ApiError(HttpStatus.CONFLICT, `face ${faceId} changed identity meanwhile; look again`, { code: 'face_changed' });
    }
    return { faceId, imageId: face.imageId, rejectedPersonId: face.personId, rejectedPersonName: face.personName };
  }

  /** The face cut from its image by the stored box. */
  async crop(faceId: number, ifNoneMatch?: string): Promise<FaceCrop> {
    const face = await this.face(faceId);
    const crop = await this.crops.render(face.imagePath, face.box, ifNoneMatch);
    if (crop.kind === 'unavailable')
      throw new ApiError(HttpStatus.NOT_FOUND, `the image of face ${faceId} is no longer readable`, { code: 'image_unavailable' });
    if (crop.kind === 'undecodable')
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, `the image of face ${faceId} cannot be cut`, { code: 'crop_failed' });
    return crop;
  }

  private async face(faceId: number): Promise<ReviewFace> {
    const face = await this.reviews.findFace(faceId);
    if (!face) throw faceNotFound(faceId);
    return face;
  }
}

function faceNotFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `face ${id} does not exist`, { code: 'face_not_found' });
}
