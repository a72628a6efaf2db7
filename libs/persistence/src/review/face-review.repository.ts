import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DescriptorRecipe, FaceBox } from '@visage/domain';
import { isMysqlFamily } from '../data-source-options';
import { FaceEntity } from '../images/face.entity';
import { FaceRejectionEntity } from './face-rejection.entity';
import { PersonImageEntity } from '../people/person-image.entity';
import { PersonEntity } from '../people/person.entity';
import { readGalleryVersion, recomputeImageStatuses, removeEnrolments } from '../people/gallery-version';
import { IDENTITY_STATUSES, recordOutcomeEvents } from '../events/outcome-events';
import { auditStatement, AuditRecord } from '../access/audit.repository';
import { rethrowPersonDeleted } from '../shared/database-errors';
import { runInTransaction, Statement, toStatement } from '../shared/transactions';
import { personNameKey } from '../person-name';
import { CONFIGURED_DESCRIPTOR_RECIPE, decodeDescriptor, UNCONFIGURED_DESCRIPTOR_RECIPE } from '../shared/descriptor-codec';
import { AssignFacesOptions, AssignTarget, assignmentStatements, reviewSourceName } from './face-assignment';
import { boxSelection, BoxRow, faceBoxOfRow } from '../shared/box-columns';

/** A detected face as the review sees it. */
export interface ReviewFace {
  id: number;
  imageId: number;
  /** Image path relative to IMAGES_ROOT. */
  imagePath: string;
  personId: number | null;
  personName: string | null;
  /** False for a face stored before descriptors were kept: it cannot be enrolled. */
  hasDescriptor: boolean;
  /** Judged of low quality when stored: it is never enrolled. */
  lowQuality: boolean;
  box: FaceBox;
}

export interface AssignedFace {
  faceId: number;
  imageId: number;
  personId: number;
  personName: string;
  /** Gallery version made by the enrolment. */
  galleryVersion: number;
}

/** A face as the review's checks compare it: its descriptor and the persons it must never be given to. */
export interface ReviewDescriptor {
  faceId: number;
  descriptor: Float32Array;
  rejectedPersonIds: number[];
}

export interface AssignedFaces {
  faceIds: number[];
  imageIds: number[];
  personId: number;
  personName: string;
  galleryVersion: number;
}

interface ReviewFaceRow extends BoxRow {
  id: number | string;
  imageId: number | string;
  imagePath: string;
  personId: number | string | null;
  personName: string | null;
  hasDescriptor: number | string | boolean;
  lowQuality: number | string | boolean;
}

/**
 * Corrections by a person reviewing faces: a face assigned to someone becomes one of their enrolled
 * descriptors (source `review:<faceId>`), a face rejected for someone is never given to them again. Each
 * correction is one transaction with the gallery version bump, the image's status and its outcome event.
 */
@Injectable()
export class FaceReviewRepository {
  constructor(
    private readonly dataSource: DataSource,
    /** Only faces of this recipe are compared; the others wait for the re-description job. */
    @Optional() @Inject(CONFIGURED_DESCRIPTOR_RECIPE) readonly recipe: DescriptorRecipe = UNCONFIGURED_DESCRIPTOR_RECIPE,
  ) {}

  async findFace(id: number): Promise<ReviewFace | undefined> {
    const row = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('face')
      .innerJoin('face.image', 'image')
      .leftJoin('face.person', 'person')
      .select([
        'face.id AS id',
        'face.image_id AS imageId',
        'image.path AS imagePath',
        'face.person_id AS personId',
        'person.name AS personName',
        'CASE WHEN face.descriptor IS NULL THEN 0 ELSE 1 END AS hasDescriptor',
        'face.low_quality AS lowQuality',
        ...boxSelection('face'),
      ])
      .where('face.id = :id', { id })
      .getRawOne<ReviewFaceRow>();
    if (!row) return undefined;
    return {
      id: Number(row.id),
      imageId: Number(row.imageId),
      imagePath: row.imagePath,
      personId: row.personId === null ? null : Number(row.personId),
      personName: row.personName,
      hasDescriptor: Number(row.hasDescriptor) === 1,
      lowQuality: Boolean(Number(row.lowQuality)),
      box: faceBoxOfRow(row),
    };
  }

  /**
   * Enrols the face's stored descriptor for the target (created by name when new), replacing an earlier review
   * enrolment of the same face, lifts a rejection of that person for the face, takes the face out of its group
   * of unknown faces, names it at once and recomputes its image's status — one transaction. The other faces
   * follow through the re-match job (the gallery version moved). Returns undefined (nothing changed) when the
   * face or its descriptor vanished meanwhile; throws `PersistenceError('person_deleted')` (nothing changed) when
   * the person was deleted meanwhile.
   */
  async assign(
    faceId: number,
    target: AssignTarget,
    audit?: AuditRecord,
    options: Omit<AssignFacesOptions, 'leftOut'> = {},
  ): Promise<AssignedFace | undefined> {
    const now = options.now ?? new Date();
    // Guard: the face still exists with its descriptor, else nothing at all is changed.
    const guard = toStatement(
      this.dataSource.createQueryBuilder().update(FaceEntity).set({ matchedAt: now }).where('id = :faceId AND descriptor IS NOT NULL', { faceId }),
    );
    const assigned = await this.assignFaces([faceId], target, guard, audit, { ...options, now });
    if (!assigned) return undefined;
    return {
      faceId,
      imageId: assigned.imageIds[0],
      personId: assigned.personId,
      personName: assigned.personName,
      galleryVersion: assigned.galleryVersion,
    };
  }

  /**
   * {@link assign} for many faces (a group named in the review) in one transaction whose first statement is
   * `guard` (it must change exactly one row, else nothing is changed and the result is undefined). Faces
   * without a descriptor, or of low quality, are left out. `audit`: its row, in the same transaction, with the person's id
   * (`personId`, looked up there when the person is created by name) added to its details; `options.personCreated`: the
   * row of the person when this transaction creates it.
   * `options.leftOut`: faces of the group the reviewer said are someone else — "Not <name>" (a rejection of the
   * person) and kept out of grouping (a member row without a group), as "Not the same person" does.
   */
  async assignFaces(
    faceIds: readonly number[],
    target: AssignTarget,
    guard: Statement,
    audit?: AuditRecord,
    options: AssignFacesOptions = {},
  ): Promise<AssignedFaces | undefined> {
    const now = options.now ?? new Date();
    const faces =
      faceIds.length === 0
        ? []
        : await this.dataSource
            .getRepository(FaceEntity)
            .createQueryBuilder('face')
            .select(['face.id', 'face.imageId', 'face.descriptor'])
            // A low-quality face is never enrolled: it stays unknown (and is never named) even in a named group.
            .where('face.id IN (:...faceIds) AND face.descriptor IS NOT NULL AND face.low_quality = 0', { faceIds })
            .getMany();
    const imageIds = [...new Set(faces.map((face) => face.imageId))];
    const statements = assignmentStatements(this.dataSource, { faces, imageIds, target, guard, audit, options: { ...options, now } });
    if ((await runInTransaction(this.dataSource, statements, { guarded: true }).catch(rethrowPersonDeleted)) === undefined) return undefined;
    const person =
      'personId' in target
        ? await this.dataSource.getRepository(PersonEntity).findOneBy({ id: target.personId })
        : await this.dataSource.getRepository(PersonEntity).findOneBy({ nameKey: personNameKey(target.name) });
    if (!person) return undefined;
    return {
      faceIds: faces.map((face) => face.id),
      imageIds,
      personId: person.id,
      personName: person.name,
      galleryVersion: await readGalleryVersion(this.dataSource),
    };
  }

  /**
   * The descriptors of these faces (those stored with one of the configured recipe: a face waiting for its
   * re-description is not compared), with their rejections, in id order.
   */
  async reviewDescriptors(faceIds: readonly number[]): Promise<ReviewDescriptor[]> {
    if (faceIds.length === 0) return [];
    const faces = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('face')
      .select(['face.id', 'face.descriptor'])
      .where('face.id IN (:...faceIds) AND face.descriptor IS NOT NULL AND face.descriptor_recipe = :recipe', { faceIds, recipe: this.recipe })
      .orderBy('face.id', 'ASC')
      .getMany();
    const rejected = await readRejectedPersons(
      this.dataSource,
      faces.map((face) => face.id),
    );
    return faces.flatMap((face) =>
      face.descriptor ? [{ faceId: face.id, descriptor: decodeDescriptor(face.descriptor), rejectedPersonIds: rejected.get(face.id) ?? [] }] : [],
    );
  }

  /**
   * "Not <name>": stores the rejection of `personId` for the face, removes the face's own review enrolment of
   * that person (it would name others with a face that is not theirs), unnames the face and recomputes its
   * image's status — one transaction. The face goes back to the re-match job (version 0), which matches it
   * against the gallery without the rejected person. False when the face is no longer named `personId`.
   */
  async reject(faceId: number, personId: number, audit?: AuditRecord, now = new Date()): Promise<boolean> {
    const face = await this.dataSource.getRepository(FaceEntity).findOne({ where: { id: faceId, personId }, select: { id: true, imageId: true } });
    if (!face) return false;
    const insertIfNew = isMysqlFamily(this.dataSource.options) ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    const statements: Statement[] = [
      toStatement(
        this.dataSource
          .createQueryBuilder()
          .update(FaceEntity)
          .set({ personId: null, distance: null, galleryVersion: 0, matchedAt: now })
          .where('id = :faceId AND person_id = :personId', { faceId, personId }),
      ),
      [`${insertIfNew} INTO face_rejections (face_id, person_id) VALUES (?, ?)`, [faceId, personId]],
      recomputeImageStatuses(this.dataSource, { imageIds: [face.imageId] }, now),
    ];
    const ownEnrolment = await this.dataSource
      .getRepository(PersonImageEntity)
      .findOne({ where: { sourceName: reviewSourceName(faceId), personId }, select: { id: true } });
    if (ownEnrolment) {
      statements.push(...removeEnrolments(this.dataSource, [ownEnrolment.id]));
    }
    statements.push(
      ...recordOutcomeEvents(this.dataSource, { imageIds: [face.imageId] }, { statuses: IDENTITY_STATUSES, galleryVersion: 'current' }),
    );
    if (audit) statements.push(auditStatement(audit));
    return (await runInTransaction(this.dataSource, statements, { guarded: true })) !== undefined;
  }
}

/** Rejections of the faces that have any: face id → persons it must never be given to. */
export async function readRejectedPersons(dataSource: DataSource, faceIds: readonly number[]): Promise<Map<number, number[]>> {
  const rejected = new Map<number, number[]>();
  if (faceIds.length === 0) return rejected;
  const rows = await dataSource
    .getRepository(FaceRejectionEntity)
    .createQueryBuilder('rejection')
    .select(['rejection.face_id AS faceId', 'rejection.person_id AS personId'])
    .where('rejection.face_id IN (:...faceIds)', { faceIds })
    .getRawMany<{ faceId: number | string; personId: number | string }>();
  for (const row of rows) {
    const list = rejected.get(Number(row.faceId)) ?? [];
    list.push(Number(row.personId));
    rejected.set(Number(row.faceId), list);
  }
  return rejected;
}
