import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { requeueDelayMs } from '@visage/queue';
import { describeError, DetectedFace, FaceAnalysis, FaceAnalysisError, FaceMatcher, judgeFaceQuality, RECOGNIZER_NOT_READY } from '@visage/domain';
import { BreakerOpenError, RecognizerBreaker, RecognizerOverloadedError } from '../breaker/recognizer-breaker';
import { CompleteResult, DeadLetterResult, ImageProcessingRepository, StoredFace, StoredFaceQuality } from '@visage/persistence';
import { assignJointly } from '@visage/matcher';
import { FACE_MATCHER } from '../image-processor.tokens';
import { recordImageOutcome } from './image-metrics';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';

export type SkipReason = 'not_found' | 'already_done' | 'claim_lost';
export type DeferReason = 'circuit_open' | 'leased' | 'models_loading' | 'overloaded';

/** Redelivery delay of an image the recognizer could not take yet because its models are still loading. */
export const MODELS_LOADING_RETRY_MS = 2_000;

/** What happened to one delivery; the consumer maps it to FIN, REQ or a deferral. */
export type ProcessResult =
  | { status: 'processed'; imageId: number; faces: number; personIds: number[] }
  | { status: 'unrecognized'; imageId: number; faces: number }
  /** The file itself is bad: stored as failed, never retried. */
  | { status: 'failed_permanent'; imageId: number; error: string }
  /**
   * The recognizer or the database failed: retry while `willRetry` (attempts left), after `retryInMs` when the
   * image's next attempt is stored (`retrying`), else after the transport's own backoff.
   */
  | { status: 'failed_transient'; imageId: number; error: string; willRetry: boolean; retryInMs?: number }
  /**
   * Not now, and not the image's fault; no attempt spent, redeliver after `retryInMs`. `circuit_open`: the
   * recognizer is down (the image is pending). `models_loading`: the recognizer is still loading its models (the
   * image is pending). `overloaded`: the recognizer's queue was full or the image's deadline passed in it (the
   * image is pending, back after the breaker's overload backoff). `leased`: another consumer holds a live lease on it (a duplicate or early redelivery); the
   * copy comes back when that lease would expire, in case its holder died.
   */
  | { status: 'deferred'; imageId: number; retryInMs: number; reason: DeferReason }
  /** Nothing to do here (duplicate delivery, finished, taken over, or gone). */
  | { status: 'skipped'; imageId: number; reason: SkipReason };

/** Renews leases while images are worked on; tests drive it by hand. */
export interface LeaseRenewalTimer {
  every(callback: () => void, intervalMs: number): { cancel(): void };
}

export const intervalLeaseRenewalTimer: LeaseRenewalTimer = {
  every(callback, intervalMs) {
    const timer = setInterval(callback, intervalMs);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};

export const LEASE_RENEWAL_TIMER = Symbol('LEASE_RENEWAL_TIMER');

/** A leased copy comes back no sooner than this, so a hot duplicate cannot spin. */
const MIN_LEASED_DEFERRAL_MS = 1_000;
/** Redeliver a leased copy just after the lease would expire, not just before. */
const LEASE_EXPIRY_MARGIN_MS = 250;
/** Matching again after a person was deleted under the match: more than this means deletions keep racing us. */
const MATCH_ATTEMPTS = 3;

/**
 * One image, start to finish: claim → analyze (through the breaker, with a deadline) → match → store
 * everything in one transaction. Knows nothing about the transport; never throws for an expected outcome.
 */
@Injectable()
export class ProcessImageService {
  private readonly logger = new Logger(ProcessImageService.name);
  /**
   * Claims this process took but could not give back (database down at that moment). The next delivery of
   * the image releases them first, instead of finding the image "busy" until the claim times out.
   */
  private readonly unreleasedClaims = new Map<number, string>();
  /** Claims held right now (image → token), each with its lease renewal running. */
  private readonly activeClaims = new Map<number, string>();

  constructor(
    private readonly repository: ImageProcessingRepository,
    private readonly breaker: RecognizerBreaker,
    @Inject(FACE_MATCHER) private readonly matcher: FaceMatcher,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    @Optional() @Inject(LEASE_RENEWAL_TIMER) private readonly renewalTimer: LeaseRenewalTimer = intervalLeaseRenewalTimer,
  ) {}

  /**
   * The queue gave up on the image's message (its own attempts spent): the image fails for good, with an outcome
   * event, unless it already reached an outcome.
   */
  deadLettered(imageId: number, reason: string): Promise<DeadLetterResult> {
    return this.repository.markDeadLettered(imageId, reason, this.settings.policy);
  }

  async process(imageId: number): Promise<ProcessResult> {
    // Fail fast while the circuit is open: no claim, no database write, the image simply stays pending.
    if (!this.breaker.isClosed) return { status: 'deferred', imageId, retryInMs: this.breaker.retryInMs(), reason: 'circuit_open' };

    const claimToken = `${this.settings.instanceId}:${randomBytes(4).toString('hex')}`;
    try {
      await this.releaseLeftoverClaim(imageId);
      const claim = await this.repository.claim(imageId, claimToken, this.settings.policy);
      if (claim === 'busy') return await this.deferWhileLeased(imageId);
      if (claim !== 'claimed') return { status: 'skipped', imageId, reason: claim };
    } catch (error) {
      return { status: 'failed_transient', imageId, error: `database: ${describeError(error)}`, willRetry: true };
    }

    const renewal = this.keepLease(imageId, claimToken);
    try {
      return await this.processClaimed(imageId, claimToken);
    } catch (error) {
      // Only the database can throw here (analysis errors are handled inside): keep the message alive.
      await this.releaseClaim(imageId, claimToken);
      return { status: 'failed_transient', imageId, error: `database: ${describeError(error)}`, willRetry: true };
    } finally {
      renewal.cancel();
      this.activeClaims.delete(imageId);
    }
  }

  /** Images this process is working on now. */
  get activeClaimCount(): number {
    return this.activeClaims.size;
  }

  /**
   * Shutdown: gives back every claim still held (their handlers were abandoned after the drain timeout), as
   * `pending` with no attempt spent, so a restarted or other processor takes them at once instead of after the
   * lease. A handler that still finishes later writes nothing (its claim is gone). Returns how many were held.
   */
  async releaseActiveClaims(): Promise<number> {
    const held = [...this.activeClaims];
    this.activeClaims.clear();
    for (const [imageId, claimToken] of held) await this.releaseClaim(imageId, claimToken);
    return held.length;
  }

  /** A live lease elsewhere: come back when it would expire, in case its holder died meanwhile. */
  private async deferWhileLeased(imageId: number): Promise<ProcessResult> {
    const leaseExpiresAt = (await this.repository.find(imageId))?.leaseExpiresAt?.getTime() ?? Date.now();
    const retryInMs = Math.max(MIN_LEASED_DEFERRAL_MS, leaseExpiresAt - Date.now() + LEASE_EXPIRY_MARGIN_MS);
    return { status: 'deferred', imageId, retryInMs, reason: 'leased' };
  }

  /** Heartbeat: renews the lease every third of it until the image is settled. */
  private keepLease(imageId: number, claimToken: string): { cancel(): void } {
    this.activeClaims.set(imageId, claimToken);
    return this.renewalTimer.every(() => {
      this.repository.renewLease(imageId, claimToken, this.settings.policy.claimTimeoutMs).then(
        (renewed) => {
          if (!renewed) this.logger.warn(`image ${imageId}: lease lost while processing (taken over after expiry); its outcome will not be written`);
        },
        // One missed renewal is harmless (the lease is three renewals long); the next tick tries again.
        (error: unknown) => this.logger.warn(`image ${imageId}: lease renewal failed (${describeError(error)})`),
      );
    }, this.settings.leaseRenewMs);
  }

  private async processClaimed(imageId: number, claimToken: string): Promise<ProcessResult> {
    const image = await this.repository.find(imageId);
    if (!image) return { status: 'skipped', imageId, reason: 'not_found' };
    const result = await this.analyzeAndStore(image, claimToken);
    recordImageOutcome(result, image.createdAt);
    return result;
  }

  private async analyzeAndStore(image: { id: number; path: string; attempts: number }, claimToken: string): Promise<ProcessResult> {
    const imageId = image.id;
    let analysis: FaceAnalysis;
    try {
      analysis = await this.breaker.analyze(image.path, { deadlineMs: this.settings.analysisDeadlineMs });
      // Descriptors of another recipe cannot be matched against this gallery (a recognizer configured differently,
      // or mid-rollout): an attempt failed, retried until both sides agree.
      if (analysis.recipe !== this.settings.descriptorRecipe) {
        throw new FaceAnalysisError(
          'transient',
          `the recognizer computes ${analysis.recipe} descriptors, FACE_DESCRIPTOR_RECIPE here is ${this.settings.descriptorRecipe}`,
          'FAILED_PRECONDITION',
        );
      }
    } catch (error) {
      if (error instanceof BreakerOpenError) {
        await this.repository.release(imageId, claimToken);
        return { status: 'deferred', imageId, retryInMs: error.retryInMs, reason: 'circuit_open' };
      }
      // Back-pressure is not the image's fault either: pending again, uncounted, back after the overload backoff.
      if (error instanceof RecognizerOverloadedError) {
        await this.repository.release(imageId, claimToken);
        return { status: 'deferred', imageId, retryInMs: error.retryInMs, reason: 'overloaded' };
      }
      // A recognizer still loading its models is not a failed attempt: the image waits, pending, uncounted.
      if (error instanceof FaceAnalysisError && error.reason === RECOGNIZER_NOT_READY) {
        await this.repository.release(imageId, claimToken);
        return { status: 'deferred', imageId, retryInMs: MODELS_LOADING_RETRY_MS, reason: 'models_loading' };
      }
      const permanent = error instanceof FaceAnalysisError && error.kind === 'permanent';
      const message = error instanceof FaceAnalysisError && error.code ? `${error.code}: ${error.message}` : describeError(error);
      // The backoff of this image's next attempt, stored for clients to see and used for the requeue alike.
      const retryInMs = requeueDelayMs(image.attempts + 1, this.settings.retryBackoff);
      const failed = await this.repository.fail(imageId, claimToken, message, {
        permanent,
        maxAttempts: this.settings.policy.maxAttempts,
        retryInMs,
      });
      if (failed.outcome === 'claim_lost') return { status: 'skipped', imageId, reason: 'claim_lost' };
      if (permanent) return { status: 'failed_permanent', imageId, error: message };
      return { status: 'failed_transient', imageId, error: message, willRetry: failed.retryable, retryInMs };
    }

    const stored = await this.storeMatched(imageId, claimToken, analysis);
    if (stored.result.outcome === 'claim_lost') return { status: 'skipped', imageId, reason: 'claim_lost' };
    if (stored.result.outcome === 'person_deleted') {
      await this.repository.release(imageId, claimToken);
      return { status: 'failed_transient', imageId, error: 'a matched person kept being deleted while the image was stored', willRetry: true };
    }
    const faces = stored.faces;
    const personIds = [...new Set(faces.flatMap((face) => (face.personId === null ? [] : [face.personId])))];
    return stored.result.status === 'processed'
      ? { status: 'processed', imageId, faces: faces.length, personIds }
      : { status: 'unrecognized', imageId, faces: faces.length };
  }

  /**
   * Matches the image's faces together against one gallery snapshot ({@link assignJointly}: nobody named twice in
   * one photo, a low-quality face never) and stores them with its version and their quality. A person deleted
   * since the snapshot was loaded makes the store fail on the foreign key: reload and match again (no recognizer
   * call).
   */
  private async storeMatched(imageId: number, claimToken: string, analysis: FaceAnalysis): Promise<{ result: CompleteResult; faces: StoredFace[] }> {
    const qualities = analysis.faces.map((face) => this.qualityOf(face));
    for (let attempt = 1; ; attempt++) {
      const gallery = this.matcher.current();
      const identities = assignJointly(
        analysis.faces.map((face, index) => ({ descriptor: face.descriptor, lowQuality: qualities[index]?.lowQuality })),
        (descriptor, excluded) => gallery.match(descriptor, excluded),
      );
      // An unknown face keeps its nearest distance: it shows how far the stranger was from the threshold.
      const faces = analysis.faces.map((face, index): StoredFace => ({
        box: face.box,
        score: face.score,
        ...identities[index],
        descriptor: face.descriptor,
        recipe: analysis.recipe,
        quality: qualities[index],
      }));
      const result = await this.repository.complete(imageId, claimToken, {
        width: analysis.width,
        height: analysis.height,
        faces,
        galleryVersion: gallery.version,
      });
      if (result.outcome !== 'person_deleted' || attempt >= MATCH_ATTEMPTS) return { result, faces };
      await this.matcher.refresh();
    }
  }

  /** The quality rule's verdict on a face, with what it judged; undefined from a recognizer that measures none. */
  private qualityOf(face: DetectedFace): StoredFaceQuality | undefined {
    if (!face.quality) return undefined;
    const { sharpness, yaw, pitch, roll } = face.quality;
    return { sharpness, yaw, pitch, roll, ...judgeFaceQuality(face.quality, this.settings.quality) };
  }

  private async releaseClaim(imageId: number, claimToken: string): Promise<void> {
    try {
      await this.repository.release(imageId, claimToken);
    } catch (error) {
      this.unreleasedClaims.set(imageId, claimToken);
      this.logger.warn(`image ${imageId}: could not release claim (${describeError(error)}); will release on redelivery`);
    }
  }

  private async releaseLeftoverClaim(imageId: number): Promise<void> {
    const leftover = this.unreleasedClaims.get(imageId);
    if (leftover === undefined) return;
    await this.repository.release(imageId, leftover);
    this.unreleasedClaims.delete(imageId);
  }
}
