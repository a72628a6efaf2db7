import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_ID } from '@visage/domain';
import { bodyId, personName, refuse } from '@visage/validation';
import { z } from 'zod';

export class FaceAssignmentDto {
  @ApiProperty({ example: 41 }) faceId!: number;
  @ApiProperty({ example: 17 }) imageId!: number;
  @ApiProperty({ example: 3 }) personId!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) personName!: string;
  @ApiProperty({ example: 12, description: 'Gallery version made by the enrolment; the other faces follow through re-matching' })
  galleryVersion!: number;

  @ApiPropertyOptional({ example: 5, nullable: true, type: Number, description: 'The person the face was named after before (a move), or null' })
  previousPersonId!: number | null;
}

export class FaceRejectionDto {
  @ApiProperty({ example: 41 }) faceId!: number;
  @ApiProperty({ example: 17 }) imageId!: number;
  @ApiProperty({ example: 3, description: 'The person this face is never given to again' }) rejectedPersonId!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) rejectedPersonName!: string;
}

/** Who the faces are: an existing person, or a name (created when new). */
export type AssignTarget = { personId: number } | { name: string };

/** A request to enrol faces for a person, and the faces that did not fit it that the caller confirms anyway. */
export interface AssignBody {
  target: AssignTarget;
  /** Faces confirmed after a 409 `faces_need_confirmation`. */
  confirm: number[];
}

/** Naming a group: also the faces the reviewer leaves out ("Not <name>", kept out of grouping). */
export interface NameClusterBody extends AssignBody {
  leaveOut: number[];
}

/** Most face ids one request may list (a group's faces; the largest groups are far smaller). */
export const MAX_FACE_IDS = 10_000;

/** The id rule of every body, for each item of a list. */
const faceId = bodyId('faceId', 'invalid_face_id');
const isFaceId = (value: unknown) => faceId.safeParse(value).success;

/** An optional list of face ids (absent or null: none), duplicates dropped; else 400 `code`. */
function faceIds(field: string, code: string, description: string) {
  return z
    .custom<number[] | null>((value) => value === null || (Array.isArray(value) && value.length <= MAX_FACE_IDS && value.every(isFaceId)), {
      error: `${field} must be a list of at most ${MAX_FACE_IDS} face ids`,
      params: { code },
    })
    .optional()
    .transform((ids) => [...new Set(ids ?? [])])
    .meta({ type: 'array', items: { type: 'integer', minimum: 1, maximum: MAX_ID }, maxItems: MAX_FACE_IDS, description });
}

const targetFields = {
  personId: bodyId('personId', 'invalid_person_id').nullish().meta({ description: 'An existing person (give this or name)' }),
  name: personName.nullish().meta({ description: 'A person by name, created when new (give this or personId)' }),
  confirm: faceIds('confirm', 'invalid_confirm', 'Faces a 409 faces_need_confirmation named that the caller confirms: they are enrolled anyway'),
};

/**
 * `{"personId": <id>}` or `{"name": "…"}` (the name rules of POST /persons), exactly one of them; a null counts
 * as absent. Without either, the name is what is missing (`name_required`).
 */
function targetOf(fields: { personId?: number | null; name?: string | null }, context: z.RefinementCtx): AssignTarget {
  if (fields.personId != null && fields.name != null)
    refuse(context, fields, { code: 'ambiguous_person', message: 'give either personId or name, not both' });
  else if (fields.personId != null) return { personId: fields.personId };
  else if (fields.name != null) return { name: fields.name };
  else refuse(context, fields, { code: 'name_required', message: 'name is required' });
  return z.NEVER;
}

/** `{"personId"|"name", "confirm"?: [faceId]}`. */
export const assignBody = z
  .object(targetFields)
  .meta({ description: 'Exactly one of personId and name; confirm after a 409 faces_need_confirmation' })
  .transform((fields, context): AssignBody => ({ target: targetOf(fields, context), confirm: fields.confirm }));

/** `{"personId"|"name", "confirm"?: [faceIds], "leaveOut"?: [faceIds]}`. */
export const nameClusterBody = z
  .object({
    ...targetFields,
    leaveOut: faceIds(
      'leaveOut',
      'invalid_leave_out',
      'Faces of the group that are someone else: not enrolled, "Not <name>" for them, never grouped again',
    ),
  })
  .meta({ description: 'Exactly one of personId and name; confirm or leaveOut after a 409 faces_need_confirmation' })
  .transform((fields, context): NameClusterBody => ({ target: targetOf(fields, context), confirm: fields.confirm, leaveOut: fields.leaveOut }));
