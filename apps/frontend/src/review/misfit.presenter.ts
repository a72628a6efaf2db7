import type { MisfitReason } from '@visage/matcher';
import { FaceMisfit } from '../receiver/receiver-api.client';

/** A face the receiver asked to confirm, as the confirmation page shows it. */
export interface MisfitView {
  faceId: number;
  cropUrl: string;
  reasons: string[];
}

/** One reason in words, for the person being named `name`. */
export function describeReason(reason: MisfitReason, name: string): string {
  switch (reason.code) {
    case 'far_from_group':
      return `Unlike the other faces (close to ${reason.fitsWith} of ${reason.others})`;
    case 'far_from_person':
      return `Unlike the enrolled faces of ${name} (distance ${reason.distance.toFixed(2)})`;
    case 'nearer_other_person':
      return `Looks like ${reason.personName} (distance ${reason.distance.toFixed(2)})`;
  }
}

export function misfitViews(misfits: readonly FaceMisfit[], name: string): MisfitView[] {
  return misfits.map((misfit) => ({
    faceId: misfit.faceId,
    cropUrl: `/faces/${misfit.faceId}/crop`,
    reasons: misfit.reasons.map((reason) => describeReason(reason, name)),
  }));
}
