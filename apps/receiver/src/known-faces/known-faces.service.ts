import { Injectable } from '@nestjs/common';
import { KnownFacesEnroller, KnownFacesReport } from '@visage/enrolment';
import { DatabaseLock, LockRepository, PersonImageRepository } from '@visage/persistence';

/** KNOWN_FACES_DIR on demand: a rescan now, and the tombstones of the files of deleted persons. */
@Injectable()
export class KnownFacesService {
  constructor(
    private readonly enroller: KnownFacesEnroller,
    private readonly locks: LockRepository,
    private readonly enrolments: PersonImageRepository,
  ) {}

  rescan(): Promise<KnownFacesReport> {
    // The processors' start-up enrolment and rescans hold the same lock: one enrolment of the folder at a time.
    return this.locks.withLock(DatabaseLock.KnownFacesEnrolment, () => this.enroller.enrolAll());
  }

  /** Every tombstone goes (audited): those files are enrolled again at the next start. Returns how many. */
  clearForgotten(actor: string): Promise<number> {
    return this.enrolments.clearForgottenKnownFaces({ actor, action: 'known_faces.unforgotten', target: 'known-faces' });
  }
}
