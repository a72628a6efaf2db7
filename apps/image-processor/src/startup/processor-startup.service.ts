import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { cappedBackoffMs, describeError, FaceAnalyzer } from '@visage/domain';
import { KnownFacesEnroller } from '@visage/enrolment';
import { GalleryService, GallerySummary } from '@visage/matcher';
import { DatabaseLock, LockRepository, PersonImageRepository } from '@visage/persistence';
import { FACE_ANALYZER } from '../image-processor.tokens';
import { ProcessorError } from '../processor-error';
import { RedescriptionJob } from '../redescription/redescription.job';
import { ConsumptionGate } from './consumption-gate';

/** How long a replica waits for another one's enrolment before it tries again (and logs that it waits). */
const ENROLMENT_LOCK_WAIT_MS = 5 * 60_000;
/** How long one wait for the gallery to reach the enrolled version lasts before it is tried again. */
const GALLERY_WAIT_MS = 60_000;

export type StartupStage = 'waiting_for_recognizer' | 'enrolling_known_faces' | 'redescribing_enrolments' | 'loading_gallery' | 'consuming';

/** How often the start-up polls the recognizer's health, and how it backs off after an error. */
export interface StartupTimings {
  pollMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Enrolment rounds that still leave files failed transiently before the processor consumes anyway. */
  maxEnrolmentRounds: number;
}

/** Optional provider of {@link StartupTimings}; production uses {@link DEFAULT_STARTUP_TIMINGS}. */
export const STARTUP_TIMINGS = Symbol('STARTUP_TIMINGS');

export const DEFAULT_STARTUP_TIMINGS: StartupTimings = { pollMs: 500, retryInitialMs: 1_000, retryMaxMs: 30_000, maxEnrolmentRounds: 5 };

/**
 * Start-up gating: the consumer takes no message (RDY 0) until
 * (a) the recognizer answers SERVING, (b) KNOWN_FACES_DIR has been enrolled — by one replica at a time,
 * through a lock; a replica that finds the lock taken waits and then finds every file unchanged — and
 * (b′) every enrolment of another descriptor recipe has been re-described (or marked as impossible), and
 * (c) this replica's gallery holds the gallery version that enrolment left (or a later one). Otherwise the first images would be
 * judged against a half-loaded gallery and stay `unrecognized`.
 */
@Injectable()
export class ProcessorStartup implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ProcessorStartup');
  private currentStage: StartupStage = 'waiting_for_recognizer';
  private stopped = false;
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private finished?: Promise<void>;

  constructor(
    private readonly gate: ConsumptionGate,
    @Inject(FACE_ANALYZER) private readonly analyzer: FaceAnalyzer,
    private readonly locks: LockRepository,
    private readonly gallery: GalleryService,
    /** The database's gallery version (a counter bumped by every enrolment change). */
    private readonly versions: PersonImageRepository,
    @Optional() private readonly enroller?: KnownFacesEnroller,
    @Optional() @Inject(STARTUP_TIMINGS) private readonly timings: StartupTimings = DEFAULT_STARTUP_TIMINGS,
    @Optional() private readonly redescription?: RedescriptionJob,
  ) {}

  get stage(): StartupStage {
    return this.currentStage;
  }

  /** What readiness shows: the stage, and what the gallery holds. */
  status(): { stage: StartupStage } & GallerySummary {
    return { stage: this.currentStage, ...this.gallery.snapshot() };
  }

  /** Before the consumer listens (Nest starts microservices after init): it connects at RDY 0. */
  onModuleInit(): void {
    this.gate.hold('starting');
  }

  onApplicationBootstrap(): void {
    // In the background: the health endpoint must answer (not ready, and why) while this runs.
    this.finished = this.run().catch((error: unknown) => {
      if (!(error instanceof ProcessorError && error.code === 'startup_stopped')) this.logger.error(`start-up stopped: ${describeError(error)}`);
    });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    for (const { timer, wake } of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
  }

  /** Resolves once the start-up sequence has ended (consuming, or stopped by shutdown). */
  whenFinished(): Promise<void> {
    return this.finished ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    await this.waitUntilServing();
    if (this.enroller) {
      this.currentStage = 'enrolling_known_faces';
      await this.enrolKnownFaces(this.enroller);
    }
    if (this.redescription) {
      // Enrolments of another descriptor recipe are out of the gallery until re-described: consuming before would
      // leave new images unnamed (docs/recognizer.md, "Descriptor recipes"). Known faces were re-enrolled above.
      this.currentStage = 'redescribing_enrolments';
      const redescription = this.redescription;
      const report = await this.retrying('enrolment re-description', () =>
        this.locks.withLock(DatabaseLock.KnownFacesEnrolment, () => redescription.redescribeEnrolments(), { waitMs: ENROLMENT_LOCK_WAIT_MS }),
      );
      if (report.done + report.failed > 0)
        this.logger.log(`re-described ${report.done} enrolment(s) to the configured recipe; ${report.failed} could not be`);
    }
    this.currentStage = 'loading_gallery';
    const enrolled = await this.retrying('gallery version', () => this.versions.version());
    await this.retrying('gallery load', () => this.gallery.awaitVersion(enrolled, { pollMs: this.timings.pollMs, timeoutMs: GALLERY_WAIT_MS }));
    this.currentStage = 'consuming';
    this.gate.release('starting');
    const loaded = this.gallery.snapshot();
    this.logger.log(`consuming: gallery version ${loaded.version}, ${loaded.descriptors} descriptor(s) of ${loaded.persons} person(s)`);
  }

  private async waitUntilServing(): Promise<void> {
    this.currentStage = 'waiting_for_recognizer';
    let waited = 0;
    while (!(await this.analyzer.isServing().catch(() => false))) {
      if (waited % 60 === 0) this.logger.log('waiting for the recognizer to answer SERVING before consuming');
      waited += 1;
      await this.sleep(this.timings.pollMs);
    }
  }

  /**
   * One replica at a time enrols; the others wait for the lock and then find nothing new to analyse (the
   * enrolment is idempotent by content hash). Files the recognizer failed on transiently are tried again a
   * few times; after that the processor consumes anyway (they are logged, and enrolled at the next start).
   */
  private async enrolKnownFaces(enroller: KnownFacesEnroller): Promise<void> {
    for (let round = 1; ; round++) {
      const report = await this.retrying('known faces enrolment', () =>
        this.locks.withLock(DatabaseLock.KnownFacesEnrolment, () => enroller.enrolAll(), { waitMs: ENROLMENT_LOCK_WAIT_MS }),
      );
      if (report.failed.length === 0) return;
      if (round >= this.timings.maxEnrolmentRounds) {
        this.logger.warn(`${report.failed.length} known face(s) still not enrolled after ${round} rounds; consuming anyway`);
        return;
      }
      await this.sleep(this.backoff(round));
      await this.waitUntilServing();
      this.currentStage = 'enrolling_known_faces';
    }
  }

  /** Runs `step` until it succeeds (the database may still be coming up), backing off between tries. */
  private async retrying<T>(what: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.throwIfStopped();
      try {
        return await step();
      } catch (error) {
        this.throwIfStopped();
        const delay = this.backoff(attempt);
        this.logger.warn(`${what} failed (${describeError(error)}); trying again in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }

  private backoff(attempt: number): number {
    return cappedBackoffMs(attempt, this.timings.retryInitialMs, this.timings.retryMaxMs);
  }

  private throwIfStopped(): void {
    if (this.stopped) throw new ProcessorError('startup_stopped', 'the processor is shutting down');
  }

  private async sleep(ms: number): Promise<void> {
    this.throwIfStopped();
    await new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => finish(), ms), wake: () => finish() };
      const finish = () => {
        this.timers.delete(entry);
        resolve();
      };
      entry.timer.unref();
      this.timers.add(entry);
    });
    this.throwIfStopped();
  }
}
