import { HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { EnrolmentIndex, findMisfits, Misfit } from '@visage/matcher';
import { FaceReviewRepository, reviewSourceName } from '@visage/persistence';
import { ApiError } from '../common/api-error';
import { AssignTarget } from './dto/face.dto';

/**
 * The review's guard against poisoning the gallery: before faces are enrolled for a person (naming a group,
 * "This is …", moving a face), each is compared with the other faces and with the people already known, and
 * those that do not fit must be confirmed by the request (`confirm`), else nothing is enrolled: 409
 * `faces_need_confirmation` with their ids and reasons. Advisory, not transactional: the gallery may move between
 * this check and the enrolment, which commits on its own.
 */
@Injectable()
export class EnrolmentChecks {
  private readonly threshold: number;

  constructor(
    private readonly index: EnrolmentIndex,
    private readonly reviews: FaceReviewRepository,
    config: ConfigService,
  ) {
    this.threshold = config.get('MATCH_THRESHOLD');
  }

  /** 409 `faces_need_confirmation` unless every face that does not fit the target is in `confirmed`. */
  async assertFit(faceIds: readonly number[], target: AssignTarget, confirmed: readonly number[], hint: string): Promise<void> {
    const misfits = await this.misfits(faceIds, target);
    const accepted = new Set(confirmed);
    const unconfirmed = misfits.filter((misfit) => !accepted.has(misfit.faceId));
    if (unconfirmed.length === 0) return;
    const who = 'personId' in target ? `person ${target.personId}` : JSON.stringify(target.name);
    throw new ApiError(
      HttpStatus.CONFLICT,
      `${unconfirmed.length} face(s) do not look like ${who} or like the other faces: nothing was enrolled; ${hint}`,
      { code: 'faces_need_confirmation', faces: unconfirmed.map(rounded) },
    );
  }

  private async misfits(faceIds: readonly number[], target: AssignTarget): Promise<Misfit[]> {
    const candidates = await this.reviews.reviewDescriptors(faceIds);
    if (candidates.length === 0) return [];
    const snapshot = await this.index.snapshot();
    // A face's own review enrolment is replaced by this one: it must not count as a person it looks like.
    const known = snapshot.galleryWithout(new Set(candidates.map((candidate) => reviewSourceName(candidate.faceId))));
    const targetPersonId = 'personId' in target ? target.personId : snapshot.rows.find((row) => row.personName === target.name)?.personId;
    return findMisfits(candidates, known, targetPersonId, this.threshold);
  }
}

/** Distances to four decimals: enough to compare with MATCH_THRESHOLD, and readable. */
function rounded(misfit: Misfit): Misfit {
  return {
    faceId: misfit.faceId,
    reasons: misfit.reasons.map((reason) => ('distance' in reason ? { ...reason, distance: Math.round(reason.distance * 1e4) / 1e4 } : reason)),
  };
}
