import { readFile } from 'node:fs/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { FaceQualityReason } from '@visage/domain';
import { qualityRuleOf } from '@visage/matcher';
import { AuditRecord, PATH_SOURCE_PREFIX, PersonImageRepository } from '@visage/persistence';
import { ContentFaceAnalyzer, FACE_ANALYZER } from '@visage/recognizer-client';
import { ImagePathError, ImagePathProblem, resolveImagePath } from '@visage/storage';
import { sha256 } from './content-hash';
import { describeSingleFace, dominantFaceNote } from './single-face';

/**
 * Outcome of `POST /persons/:id/faces`: `enrolled` → 201, `person_not_found` → 404,
 * `no_face` / `several_faces` (none clearly dominant) / `low_quality` → 422 (saying which), `invalid_path` / `invalid_image` → 400.
 * `enrolled.note` says when the photo showed other faces too and its dominant face was taken.
 * A recognizer that is down or overloaded is thrown as a transient `FaceAnalysisError` (→ 503).
 */
export type EnrolmentResult =
  | { status: 'enrolled'; personId: number; personName: string; personImageId: number; path: string; facesInPhoto: number; note?: string }
  | { status: 'person_not_found'; personId: number }
  | { status: 'no_face'; path: string }
  | { status: 'several_faces'; path: string; count: number }
  | { status: 'low_quality'; path: string; reasons: FaceQualityReason[] }
  | { status: 'invalid_path'; problem: ImagePathProblem; message: string }
  | { status: 'invalid_image'; path: string; reason: string };

@Injectable()
export class EnrolmentService {
  private readonly logger = new Logger('Enrolment');

  constructor(
    @Inject(PersonImageRepository) private readonly repository: PersonImageRepository,
    @Inject(FACE_ANALYZER) private readonly analyzer: ContentFaceAnalyzer,
    @Inject(ConfigService) private readonly config: ConfigService,
  ) {}

  /**
   * Adds the face in `path` (under IMAGES_ROOT) to a person's gallery; enrolling the same path again replaces it.
   * `audit`: the audit row of the enrolment, written in its transaction.
   */
  async enrolFromPath(
    personId: number,
    path: unknown,
    audit?: (enrolment: { personImageId: number; path: string }) => AuditRecord,
  ): Promise<EnrolmentResult> {
    const person = await this.repository.findPersonById(personId);
    if (!person) return { status: 'person_not_found', personId };
    let resolved;
    try {
      resolved = await resolveImagePath(this.config.get('storage').imagesRoot, path, { maxBytes: this.config.get('MAX_IMAGE_BYTES') });
    } catch (error) {
      if (error instanceof ImagePathError) return { status: 'invalid_path', problem: error.code, message: error.message };
      throw error;
    }
    const content = await readFile(resolved.absolute);
    const described = await describeSingleFace(this.analyzer, content, resolved.relative, qualityRuleOf(this.config.values));
    switch (described.status) {
      case 'no_face':
        return { status: 'no_face', path: resolved.relative };
      case 'several_faces':
        return { status: 'several_faces', path: resolved.relative, count: described.count };
      case 'low_quality':
        return { status: 'low_quality', path: resolved.relative, reasons: described.reasons };
      case 'invalid_image':
        return { status: 'invalid_image', path: resolved.relative, reason: described.reason };
      case 'ok':
        break; // one face, or the clearly dominant one: enrolled below
    }
    const personImageId = await this.repository.replaceEnrolment(
      {
        personId: person.id,
        sourceName: `${PATH_SOURCE_PREFIX}${resolved.relative}`,
        contentHash: sha256(content),
        descriptor: described.descriptor,
        recipe: described.recipe,
      },
      audit && ((id) => audit({ personImageId: id, path: resolved.relative })),
    );
    const note = dominantFaceNote(described.facesInPhoto);
    this.logger.log(`enrolled ${resolved.relative} for person ${person.id} (${person.name})${note ? `: ${note}` : ''}`);
    return {
      status: 'enrolled',
      personId: person.id,
      personName: person.name,
      personImageId,
      path: resolved.relative,
      facesInPhoto: described.facesInPhoto,
      ...(note ? { note } : {}),
    };
  }
}
