import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { DetectedFace, FaceAnalysis, FaceAnalysisError, FaceBox, ScheduledJobProvider } from '@visage/domain';
import { describeSingleFace } from '@visage/enrolment';
import { qualityRuleOf } from '@visage/matcher';
import { metrics } from '@visage/observability';
import {
  DatabaseLock,
  EnrolmentToRedescribe,
  FaceRedescription,
  ImageToRedescribe,
  KNOWN_SOURCE_PREFIX,
  LockRepository,
  PATH_SOURCE_PREFIX,
  RedescriptionProgress,
  RedescriptionRepository,
} from '@visage/persistence';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';
import { FACE_ANALYZER } from '../image-processor.tokens';
import { ProcessorError } from '../processor-error';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';
import { REMATCH_JOB_SCHEDULED } from '../rematch/rematch.job';

/** SQLite lease of the job's lock. */
const LEASE_MS = 5 * 60_000;
/** Enrolments read per query. */
const ENROLMENT_BATCH = 50;
/**
 * Images analysed again per run: the job shares the recognizer with live processing, so it takes a few images
 * every GALLERY_REFRESH_MS rather than all of them at once.
 */
export const REDESCRIBE_IMAGES_PER_RUN = 8;
/** A stored face and a face found again are the same face when their boxes overlap this much (intersection over union). */
export const SAME_FACE_IOU = 0.5;

export type RedescriptionReport =
  | { ran: false; reason: 'already_running' | 'locked' | 'up_to_date' }
  | { ran: true; enrolments: number; enrolmentsFailed: number; images: number; faces: number; facesFailed: number };

export function boxIou(a: FaceBox, b: FaceBox): number {
  const width = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const height = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const intersection = width * height;
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * Pairs stored faces with the faces found again, best overlap first, each face at most once and only at
 * {@link SAME_FACE_IOU} or more: index of the found face per stored face, or -1.
 */
export function pairByOverlap(stored: readonly FaceBox[], found: readonly FaceBox[]): number[] {
  const pairs = stored.flatMap((box, storedIndex) => found.map((other, foundIndex) => ({ storedIndex, foundIndex, iou: boxIou(box, other) })));
  pairs.sort((a, b) => b.iou - a.iou);
  const result = stored.map(() => -1);
  const taken = new Set<number>();
  for (const pair of pairs) {
    if (pair.iou < SAME_FACE_IOU) break;
    if (result[pair.storedIndex] !== -1 || taken.has(pair.foundIndex)) continue;
    result[pair.storedIndex] = pair.foundIndex;
    taken.add(pair.foundIndex);
  }
  return result;
}

/** A row that cannot be re-described (its image is gone or shows no such face): marked, not tried again. */
const cannotRedescribe = (reason: string) => new ProcessorError('cannot_redescribe', reason);
const isCannotRedescribe = (error: unknown): error is ProcessorError => error instanceof ProcessorError && error.code === 'cannot_redescribe';

/**
 * Moves stored descriptors to FACE_DESCRIPTOR_RECIPE (docs/recognizer.md, "Descriptor recipes"): the images of
 * enrolments (first) and of faces stored with another recipe are analysed again through the recognizer (their
 * bytes sent as content), and the new descriptors stored — an enrolment as a gallery change, a face with gallery
 * version 0 so the re-match job matches it (it keeps its person until then). Faces are paired with the faces found
 * again by box overlap. One replica at a time (job lock), a few images per run, resumable (what is done is of the
 * configured recipe, what failed is marked with its reason); the start-up re-describes every enrolment before the
 * processor consumes, so a new image is never matched against a gallery still missing old-recipe enrolments.
 */
@Injectable()
export class RedescriptionJob extends ScheduledJobProvider<RedescriptionReport> {
  private lastProgress?: RedescriptionProgress;

  constructor(
    private readonly repository: RedescriptionRepository,
    locks: LockRepository,
    @Inject(FACE_ANALYZER) private readonly analyzer: ContentFaceAnalyzer,
    @Inject(ConfigService) private readonly config: ConfigService,
    @Inject(PROCESSOR_SETTINGS) settings: ProcessorSettings,
    // The background identity jobs (re-match, clustering, re-description) are started or not together.
    @Optional() @Inject(REMATCH_JOB_SCHEDULED) scheduled: boolean = true,
  ) {
    super({
      name: 're-description',
      schedule: { everyMs: settings.rematchEveryMs },
      lock: locks.jobLock(DatabaseLock.FaceRedescription, { leaseMs: LEASE_MS }),
      logger: new Logger('Redescription'),
      scheduled,
    });
  }

  /** The last progress read (readiness, metrics); undefined before the first run. */
  get progress(): RedescriptionProgress | undefined {
    return this.lastProgress;
  }

  async readProgress(): Promise<RedescriptionProgress> {
    const progress = await this.repository.progress();
    for (const kind of ['faces', 'enrolments'] as const) {
      metrics.descriptorsToRedescribe.set({ kind, state: 'waiting' }, progress[kind].waiting);
      metrics.descriptorsToRedescribe.set({ kind, state: 'failed' }, progress[kind].failed);
    }
    this.lastProgress = progress;
    return progress;
  }

  protected override async logReport(report: RedescriptionReport): Promise<void> {
    if (!report.ran) return;
    const { enrolments, faces, recipe } = this.lastProgress ?? (await this.readProgress());
    this.logger.log(
      `re-described ${report.enrolments} enrolment(s) (${report.enrolmentsFailed} could not be) and ${report.faces} face(s) of ${report.images} image(s) ` +
        `(${report.facesFailed} could not be) to ${recipe}; waiting: ${enrolments.waiting} enrolment(s), ${faces.waiting} face(s)`,
    );
  }

  /** One run: every enrolment of another recipe, then up to {@link REDESCRIBE_IMAGES_PER_RUN} images with faces of one. */
  override runOnce(): Promise<RedescriptionReport> {
    return this.runs.once(async (): Promise<RedescriptionReport> => {
      const before = await this.readProgress();
      if (before.enrolments.waiting === 0 && before.faces.waiting === 0) return { ran: false, reason: 'up_to_date' };
      return this.runs.locked(async () => {
        const enrolments = await this.redescribeEnrolments();
        const faces = await this.redescribeFaces(REDESCRIBE_IMAGES_PER_RUN);
        await this.readProgress();
        return { ran: true as const, enrolments: enrolments.done, enrolmentsFailed: enrolments.failed, ...faces };
      });
    });
  }

  /**
   * Every enrolment of another recipe, re-described or marked failed; the caller holds a lock (the job's, or the
   * start-up's enrolment lock). A recognizer that fails transiently stops it with the error (the rest wait).
   */
  async redescribeEnrolments(): Promise<{ done: number; failed: number }> {
    let done = 0;
    let failed = 0;
    for (let afterId = 0; ;) {
      const batch = await this.repository.enrolmentsToRedescribe(afterId, ENROLMENT_BATCH);
      if (batch.length === 0) return { done, failed };
      for (const enrolment of batch) {
        afterId = enrolment.id;
        try {
          const descriptor = await this.describeEnrolment(enrolment);
          if (await this.repository.storeEnrolmentDescriptor(enrolment.id, descriptor.values, descriptor.recipe)) done += 1;
        } catch (error) {
          if (!isCannotRedescribe(error)) throw error;
          this.logger.warn(`enrolment ${enrolment.id} (${enrolment.sourceName.split(':')[0]}) cannot be re-described: ${error.message}`);
          await this.repository.markEnrolmentFailed(enrolment.id, error.message);
          failed += 1;
        }
      }
    }
  }

  /** Up to `maxImages` images with faces of another recipe: analysed again, faces paired by overlap, stored. */
  async redescribeFaces(maxImages: number): Promise<{ images: number; faces: number; facesFailed: number }> {
    const images = await this.repository.imagesToRedescribe(0, maxImages);
    let faces = 0;
    let facesFailed = 0;
    for (const image of images) {
      const results = await this.describeImageFaces(image);
      await this.repository.storeFaceDescriptors(results);
      for (const result of results) {
        if ('error' in result) facesFailed += 1;
        else faces += 1;
      }
    }
    return { images: images.length, faces, facesFailed };
  }

  private async describeImageFaces(image: ImageToRedescribe): Promise<FaceRedescription[]> {
    let analysis: FaceAnalysis;
    try {
      analysis = await this.analyze(join(this.config.get('storage').imagesRoot, image.path), image.path);
    } catch (error) {
      if (!isCannotRedescribe(error)) throw error;
      return image.faces.map((face) => ({ faceId: face.id, error: error.message }));
    }
    const paired = pairByOverlap(
      image.faces.map((face) => face.box),
      analysis.faces.map((face) => face.box),
    );
    return image.faces.map((face, index): FaceRedescription => {
      const found = paired[index] === -1 ? undefined : analysis.faces[paired[index]];
      return found
        ? { faceId: face.id, descriptor: found.descriptor, recipe: analysis.recipe }
        : { faceId: face.id, error: 'the face was not found again in its image' };
    });
  }

  /** The enrolment's face in the configured recipe, from the file or image it was enrolled from. */
  private async describeEnrolment(enrolment: EnrolmentToRedescribe): Promise<{ values: Float32Array; recipe: FaceAnalysis['recipe'] }> {
    if (enrolment.reviewFace) {
      const { imagePath, box } = enrolment.reviewFace;
      const analysis = await this.analyze(join(this.config.get('storage').imagesRoot, imagePath), imagePath);
      const [index] = pairByOverlap(
        [box],
        analysis.faces.map((face: DetectedFace) => face.box),
      );
      if (index === -1) throw cannotRedescribe('the reviewed face was not found again in its image');
      return { values: analysis.faces[index].descriptor, recipe: analysis.recipe };
    }
    const file = this.enrolmentFile(enrolment.sourceName);
    const content = await this.read(file);
    const described = await describeSingleFace(this.analyzer, content, enrolment.sourceName, qualityRuleOf(this.config.values));
    if (described.status !== 'ok') throw cannotRedescribe(`the enrolment photo no longer gives one face (${described.status})`);
    this.checkRecipe(described.recipe);
    return { values: described.descriptor, recipe: described.recipe };
  }

  private enrolmentFile(sourceName: string): string {
    if (sourceName.startsWith(KNOWN_SOURCE_PREFIX))
      return join(this.config.get('storage').knownFacesDir, sourceName.slice(KNOWN_SOURCE_PREFIX.length));
    if (sourceName.startsWith(PATH_SOURCE_PREFIX)) return join(this.config.get('storage').imagesRoot, sourceName.slice(PATH_SOURCE_PREFIX.length));
    // A review enrolment whose face was deleted (its image re-analysed or deleted): nothing left to describe.
    throw cannotRedescribe('its source is gone');
  }

  private async read(file: string): Promise<Buffer> {
    try {
      return await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw cannotRedescribe('its image file is gone');
      throw error;
    }
  }

  /** The image through the recognizer by content; a permanent refusal (not an image any more) cannot be retried. */
  private async analyze(file: string, label: string): Promise<FaceAnalysis> {
    const content = await this.read(file);
    let analysis: FaceAnalysis;
    try {
      analysis = await this.analyzer.analyzeContent(content, { label });
    } catch (error) {
      if (error instanceof FaceAnalysisError && error.kind === 'permanent')
        throw cannotRedescribe(`the recognizer refused its image (${error.message})`);
      throw error;
    }
    this.checkRecipe(analysis.recipe);
    return analysis;
  }

  /** A recognizer still computing another recipe (mid-rollout) would store descriptors of the wrong kind: wait. */
  private checkRecipe(recipe: FaceAnalysis['recipe']): void {
    if (recipe !== this.repository.recipe) {
      throw new FaceAnalysisError(
        'transient',
        `the recognizer computes ${recipe} descriptors, FACE_DESCRIPTOR_RECIPE here is ${this.repository.recipe}`,
        'FAILED_PRECONDITION',
      );
    }
  }
}
