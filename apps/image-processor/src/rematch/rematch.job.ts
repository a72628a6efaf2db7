import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { describeError, FaceMatcher, GalleryView, ScheduledJobProvider, yieldToEventLoop } from '@visage/domain';
import { availableParallelism } from 'node:os';
import { assignJointly, GalleryDelta, Identity, MatchPool, VersionedGallery } from '@visage/matcher';
import { DatabaseLock, FaceIdentityRepository, FaceRematch, LockRepository, PersistenceError, StaleFace } from '@visage/persistence';
import { FACE_MATCHER } from '../image-processor.tokens';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';

/** SQLite lease; a run stops after half of it ({@link RUN_BUDGET_MS}) and the next tick resumes. */
const LEASE_MS = 5 * 60_000;
const RUN_BUDGET_MS = LEASE_MS / 2;
/** Faces read and written per transaction. */
export const REMATCH_BATCH_SIZE = 500;
/** Faces matched between two yields to the event loop, so deliveries and health checks keep flowing. */
const FACES_PER_SLICE = 32;
/** Fewer whole-gallery matches than this in a batch are done on the main thread (not worth a round trip). */
const POOL_MIN_FACES = 64;
/** More changed enrolments than this since a face's version: compare it with the whole gallery instead. */
export const MAX_DELTA_ROWS = 1_000;

/** Whether the interval is started; tests run the job by hand. */
export const REMATCH_JOB_SCHEDULED = Symbol('REMATCH_JOB_SCHEDULED');

export type RematchReport =
  | { ran: false; reason: 'already_running' | 'no_gallery' | 'up_to_date' | 'locked' }
  | {
      ran: true;
      galleryVersion: number;
      faces: number;
      /** Faces compared with the whole gallery (the others only with the enrolments changed since their version). */
      fullMatches: number;
      changedImages: number;
      /** Why the run stopped before every stale face was done; the next tick resumes where it stopped. */
      stoppedEarly?: 'person_deleted' | 'time_budget';
    };

/** The face's own identity against the whole gallery, without the persons rejected for it. */
function fullMatch(gallery: GalleryView, face: StaleFace): Identity {
  const match = gallery.match(face.descriptor, face.rejectedPersonIds.length > 0 ? new Set(face.rejectedPersonIds) : undefined);
  return { personId: match?.matched ? match.personId : null, distance: match?.distance ?? null };
}

/**
 * Faces of one image are named together ({@link assignJointly}, as the processor names them): nobody twice in a
 * photo. Each face's own identity is already in `identities`; an image whose faces all kept their person is
 * settled (its faces were assigned jointly before, and nothing moved). When a face gave up the person it had,
 * another face decided from the change log may still carry the constraint that person imposed (it lost them to
 * that face), so those are matched against the whole gallery too; then the image is assigned jointly. Returns
 * how many faces were matched against the whole gallery here.
 */
function settleImagesJointly(gallery: GalleryView, faces: readonly StaleFace[], identities: Identity[], fromDelta: readonly boolean[]): number {
  const byImage = new Map<number, number[]>();
  faces.forEach((face, index) => byImage.set(face.imageId, [...(byImage.get(face.imageId) ?? []), index]));
  let fullMatches = 0;
  for (const indices of byImage.values()) {
    const changed = indices.filter((index) => identities[index].personId !== faces[index].personId);
    if (indices.length < 2 || changed.length === 0) continue;
    const released = changed.some((index) => faces[index].personId !== null);
    for (const index of indices) {
      if (!released || !fromDelta[index]) continue;
      identities[index] = fullMatch(gallery, faces[index]);
      fullMatches += 1;
    }
    const joint = assignJointly(
      indices.map((index) => faces[index]),
      (descriptor, excluded) => gallery.match(descriptor, excluded),
      indices.map((index) => identities[index]),
    );
    indices.forEach((index, position) => (identities[index] = joint[position]));
  }
  return fullMatches;
}

/**
 * Identity follows the gallery: faces matched against an older gallery version are matched again from their
 * stored descriptors (no recognizer call) — against only the enrolments added or removed since their version
 * when that decides it (the usual case: one enrolment, one deletion), else against the whole gallery — in
 * batches of one transaction each, guarded by the face's version,
 * and the status of every image whose named persons changed is recomputed in the same transaction. One replica
 * at a time (job lock); an interrupted run leaves the rest stale, so the next run resumes there.
 * Checks every GALLERY_REFRESH_MS: one indexed query when nothing is stale.
 */
@Injectable()
export class RematchJob extends ScheduledJobProvider<RematchReport> {
  private pool?: MatchPool;
  private poolUsable = true;
  /** Worker threads for whole-gallery matches (below 2: match on the main thread only). */
  poolSize = Math.max(1, availableParallelism());

  constructor(
    private readonly identities: FaceIdentityRepository,
    locks: LockRepository,
    @Inject(FACE_MATCHER) private readonly matcher: FaceMatcher,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    @Optional() @Inject(REMATCH_JOB_SCHEDULED) scheduled: boolean = true,
  ) {
    super({
      name: 're-match',
      schedule: { everyMs: settings.rematchEveryMs },
      lock: locks.jobLock(DatabaseLock.FaceRematch, { leaseMs: LEASE_MS }),
      logger: new Logger('Rematch'),
      scheduled,
    });
  }

  /** Awaited: the pool's threads hold native ONNX Runtime sessions that must be released before the process ends. */
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Nest awaits the promise a destroy hook returns
  override async onModuleDestroy(): Promise<void> {
    this.stop();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  protected override logReport(report: RematchReport): void {
    if (!report.ran) return;
    this.logger.log(
      `re-matched ${report.faces} face(s) against gallery version ${report.galleryVersion} (${report.fullMatches} against the whole gallery, ` +
        `the others against what changed since their version); ${report.changedImages} image(s) changed identity` +
        (report.stoppedEarly ? ` (stopped early: ${report.stoppedEarly}; the next run resumes)` : ''),
    );
  }

  override runOnce(): Promise<RematchReport> {
    return this.runs.once(async (): Promise<RematchReport> => {
      await this.matcher.refresh();
      const gallery = this.matcher.current();
      if (gallery.version < 0) return { ran: false, reason: 'no_gallery' };
      if (!(await this.identities.hasStaleFaces(gallery.version))) return { ran: false, reason: 'up_to_date' };
      return this.runs.locked(() => this.rematchAll(gallery));
    });
  }

  /**
   * Faces against the whole gallery: on every core through the {@link MatchPool} when there are enough of them
   * to pay for it, else here, yielding between slices. A pool that fails is given up for the in-thread path.
   */
  private async matchWhole(gallery: GalleryView, faces: readonly StaleFace[]): Promise<Identity[]> {
    if (faces.length >= POOL_MIN_FACES && this.poolSize >= 2 && gallery instanceof VersionedGallery && this.poolUsable) {
      try {
        this.pool ??= new MatchPool(this.poolSize);
        return await this.pool.matchAll(
          gallery,
          faces.map((face) => face.descriptor),
        );
      } catch (error) {
        this.poolUsable = false;
        this.logger.warn(`match workers failed (${describeError(error)}); matching on the main thread`);
        // Not awaited: the broken pool's threads end in the background while this batch goes on here.
        void this.pool?.close().catch(() => undefined);
        this.pool = undefined;
      }
    }
    const identities: Identity[] = [];
    for (let start = 0; start < faces.length; start += FACES_PER_SLICE) {
      for (const face of faces.slice(start, start + FACES_PER_SLICE)) identities.push(fullMatch(gallery, face));
      await yieldToEventLoop();
    }
    return identities;
  }

  private async rematchAll(gallery: GalleryView): Promise<RematchReport> {
    const started = Date.now();
    let afterId = 0;
    let faces = 0;
    let fullMatches = 0;
    const changedImages = new Set<number>();
    const deltas = new Map<number, GalleryDelta | undefined>();
    const report = (stoppedEarly?: 'person_deleted' | 'time_budget'): RematchReport => ({
      ran: true,
      galleryVersion: gallery.version,
      faces,
      fullMatches,
      changedImages: changedImages.size,
      ...(stoppedEarly ? { stoppedEarly } : {}),
    });
    for (;;) {
      const batch = await this.identities.staleFaces(gallery.version, afterId, REMATCH_BATCH_SIZE);
      const stale = batch.faces;
      if (stale.length === 0) return report();
      for (const version of new Set(stale.map((face) => face.galleryVersion))) {
        if (deltas.has(version)) continue;
        const changes = await this.identities.galleryChanges(version, gallery.version, MAX_DELTA_ROWS);
        deltas.set(version, changes && new GalleryDelta(changes));
      }
      // The change log first; the faces it cannot decide against the whole gallery.
      const found: Array<Identity | undefined> = [];
      const fromDelta: boolean[] = [];
      for (let start = 0; start < stale.length; start += FACES_PER_SLICE) {
        for (const face of stale.slice(start, start + FACES_PER_SLICE)) {
          // The change log and the match workers know nothing of rejections: the few faces rejected for someone
          // are matched here, against the whole gallery without those persons.
          found.push(face.rejectedPersonIds.length > 0 ? fullMatch(gallery, face) : deltas.get(face.galleryVersion)?.rematch(face, gallery.rule));
          fromDelta.push(face.rejectedPersonIds.length === 0 && found[found.length - 1] !== undefined);
        }
        await yieldToEventLoop();
      }
      const undecided = stale.filter((_, index) => found[index] === undefined);
      const whole = await this.matchWhole(gallery, undecided);
      let next = 0;
      // A low-quality face is never named, whatever it is nearest to.
      const identities = found.map((identity, index) => {
        const own = identity ?? whole[next++];
        return stale[index].lowQuality ? { personId: null, distance: own.distance } : own;
      });
      const batchFullMatches = undecided.length + settleImagesJointly(gallery, stale, identities, fromDelta);
      const matches: FaceRematch[] = stale.map((face, index) => ({
        faceId: face.id,
        imageId: face.imageId,
        previousPersonId: face.personId,
        ...identities[index],
      }));
      try {
        const applied = await this.identities.applyRematch(gallery.version, matches);
        faces += applied.updated;
        fullMatches += batchFullMatches;
        for (const imageId of applied.changedImages) changedImages.add(imageId);
      } catch (error) {
        // A person deleted since the snapshot: the deletion bumped the version, the next run uses the new gallery.
        if (error instanceof PersistenceError && error.code === 'person_deleted') return report('person_deleted');
        throw error;
      }
      afterId = batch.afterId;
      if (Date.now() - started > RUN_BUDGET_MS) return report('time_budget');
    }
  }
}
