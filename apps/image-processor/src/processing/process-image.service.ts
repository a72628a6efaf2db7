import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeError, FaceAnalysis, FaceAnalysisError, FaceMatcher, RECOGNIZER_NOT_READY } from '@visage/domain';
import { BreakerOpenError, RecognizerBreaker } from '../breaker/recognizer-breaker';
import { CompleteResult, ImageProcessingRepository, StoredFace } from '@visage/persistence';
import { FACE_MATCHER } from '../image-processor.tokens';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';

export type SkipReason = 'not_found' | 'already_done' | 'busy' | 'claim_lost';
export type DeferReason = 'circuit_open' | 'models_loading';

/** Redelivery delay of an image the recognizer could not take yet because its models are still loading. */
export const MODELS_LOADING_RETRY_MS = 2_000;

/** What happened to one delivery; the consumer maps it to FIN, REQ or a deferral. */
export type ProcessResult =
  | { status: 'processed'; imageId: number; faces: number; personIds: number[] }
  | { status: 'unrecognized'; imageId: number; faces: number }
  /** The file itself is bad: stored as failed, never retried. */
  | { status: 'failed_permanent'; imageId: number; error: string }
  /** The recognizer or the database failed: retry while `willRetry` (attempts left). */
  | { status: 'failed_transient'; imageId: number; error: string; willRetry: boolean }
  /** The circuit is open, or the recognizer is loading its models: pending again, no attempt spent; redeliver after `retryInMs`. */
  | { status: 'deferred'; imageId: number; retryInMs: number; because: DeferReason }
  /** Nothing to do here (duplicate delivery, finished, owned by another consumer, or gone). */
  | { status: 'skipped'; imageId: number; reason: SkipReason };

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

  constructor(
    private readonly repository: ImageProcessingRepository,
    private readonly breaker: RecognizerBreaker,
    @Inject(FACE_MATCHER) private readonly matcher: FaceMatcher,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
  ) {}

  async process(imageId: number): Promise<ProcessResult> {
    // Fail fast while the circuit is open: no claim, no database write, the image simply stays pending.
    if (!this.breaker.isClosed) return { status: 'deferred', imageId, retryInMs: this.breaker.retryInMs(), because: 'circuit_open' };

    const claimToken = `${this.settings.instanceId}:${randomBytes(4).toString('hex')}`;
    try {
      await this.releaseLeftoverClaim(imageId);
      const claim = await this.repository.claim(imageId, claimToken, this.settings.policy);
      if (claim !== 'claimed') return { status: 'skipped', imageId, reason: claim };
    } catch (error) {
      return { status: 'failed_transient', imageId, error: `database: ${describeError(error)}`, willRetry: true };
    }

    try {
      return await this.processClaimed(imageId, claimToken);
    } catch (error) {
      // Only the database can throw here (analysis errors are handled inside): keep the message alive.
      await this.releaseClaim(imageId, claimToken);
      return { status: 'failed_transient', imageId, error: `database: ${describeError(error)}`, willRetry: true };
    }
  }

  private async processClaimed(imageId: number, claimToken: string): Promise<ProcessResult> {
    const image = await this.repository.find(imageId);
    if (!image) return { status: 'skipped', imageId, reason: 'not_found' };

    let analysis: FaceAnalysis;
    try {
      analysis = await this.breaker.analyze(image.path, { deadlineMs: this.settings.analysisDeadlineMs });
    } catch (error) {
      if (error instanceof BreakerOpenError) {
        await this.repository.release(imageId, claimToken);
        return { status: 'deferred', imageId, retryInMs: error.retryInMs, because: 'circuit_open' };
      }
      // A recognizer still loading its models is not a failed attempt: the image waits, pending, uncounted.
      if (error instanceof FaceAnalysisError && error.reason === RECOGNIZER_NOT_READY) {
        await this.repository.release(imageId, claimToken);
        return { status: 'deferred', imageId, retryInMs: MODELS_LOADING_RETRY_MS, because: 'models_loading' };
      }
      const permanent = error instanceof FaceAnalysisError && error.kind === 'permanent';
      const message = error instanceof FaceAnalysisError && error.code ? `${error.code}: ${error.message}` : describeError(error);
      const failed = await this.repository.fail(imageId, claimToken, message, {
        permanent,
        maxAttempts: this.settings.policy.maxAttempts,
      });
      if (failed.outcome === 'claim_lost') return { status: 'skipped', imageId, reason: 'claim_lost' };
      if (permanent) return { status: 'failed_permanent', imageId, error: message };
      return { status: 'failed_transient', imageId, error: message, willRetry: failed.retryable };
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
   * Matches every face against one gallery snapshot and stores them with its version. A person deleted since
   * the snapshot was loaded makes the store fail on the foreign key: reload and match again (no recognizer call).
   */
  private async storeMatched(imageId: number, claimToken: string, analysis: FaceAnalysis): Promise<{ result: CompleteResult; faces: StoredFace[] }> {
    for (let attempt = 1; ; attempt++) {
      const gallery = this.matcher.current();
      const faces = analysis.faces.map((face): StoredFace => {
        const match = gallery.match(face.descriptor);
        // An unknown face keeps its nearest distance: it shows how far the stranger was from the threshold.
        return {
          box: face.box,
          score: face.score,
          personId: match?.matched ? match.personId : null,
          distance: match?.distance ?? null,
          descriptor: face.descriptor,
        };
      });
      const result = await this.repository.complete(imageId, claimToken, { width: analysis.width, height: analysis.height, faces, galleryVersion: gallery.version });
      if (result.outcome !== 'person_deleted' || attempt >= MATCH_ATTEMPTS) return { result, faces };
      await this.matcher.refresh();
    }
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
