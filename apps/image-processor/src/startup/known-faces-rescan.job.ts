import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ScheduledJobProvider } from '@visage/domain';
import { KnownFacesEnroller, KnownFacesReport } from '@visage/enrolment';
import { DatabaseLock, LockRepository } from '@visage/persistence';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';
import { REMATCH_JOB_SCHEDULED } from '../rematch/rematch.job';
import { ProcessorStartup } from './processor-startup.service';

export type RescanReport = { ran: false; reason: 'starting' | 'unchanged' | 'already_running' | 'locked' } | ({ ran: true } & KnownFacesReport);

/**
 * Known faces added, changed or removed while running are enrolled without a restart: every KNOWN_FACES_RESCAN_MS
 * the folder's fingerprint (names, sizes, times; no file read) is compared with the last one, and only a change
 * runs the enrolment (which reads and hashes the files), under the start-up enrolment's lock, on one replica.
 * The gallery version it bumps makes every processor reload and the re-match job follow. Files the recognizer
 * failed on are tried again at the next tick (the fingerprint is only kept after a run without failures).
 */
@Injectable()
export class KnownFacesRescanJob extends ScheduledJobProvider<RescanReport> {
  private lastFingerprint?: string;

  constructor(
    private readonly startup: ProcessorStartup,
    locks: LockRepository,
    @Inject(PROCESSOR_SETTINGS) settings: ProcessorSettings,
    @Optional() private readonly enroller?: KnownFacesEnroller,
    // Started or not with the other background jobs (tests run it by hand).
    @Optional() @Inject(REMATCH_JOB_SCHEDULED) scheduled: boolean = true,
  ) {
    super({
      name: 'known faces rescan',
      schedule: { everyMs: settings.knownFacesRescanMs },
      lock: locks.jobLock(DatabaseLock.KnownFacesEnrolment),
      logger: new Logger('KnownFaces'),
      // KNOWN_FACES_RESCAN_MS=0: the folder is enrolled at start only.
      scheduled: scheduled && settings.knownFacesRescanMs > 0,
    });
  }

  override async runOnce(): Promise<RescanReport> {
    // The start-up enrolment comes first; until the processor consumes, a rescan would only repeat it.
    if (!this.enroller || this.startup.stage !== 'consuming') return { ran: false, reason: 'starting' };
    const enroller = this.enroller;
    return this.runs.once(async () => {
      const fingerprint = await enroller.fingerprint();
      if (fingerprint === this.lastFingerprint) return { ran: false, reason: 'unchanged' } as const;
      const report = await this.runs.locked(() => enroller.enrolAll());
      if ('ran' in report) return report;
      if (report.failed.length === 0) this.lastFingerprint = fingerprint;
      if (report.enrolled.length + report.removed.length > 0) {
        this.logger.log(
          `known faces changed: ${report.enrolled.length} enrolled, ${report.removed.length} removed, ${report.skipped.length} skipped`,
        );
      }
      return { ran: true, ...report } as const;
    });
  }
}
