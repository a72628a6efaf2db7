import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_ID } from '@visage/domain';
import { ApiError } from '../../common/api-error';
import { bodyId, requireObject } from '../../common/body';
import { parseCreatePersonBody } from '../../persons/dto/person.dto';

/** Who a face (or a group of faces) is: an existing person by id, or a name (created when new). */
export class AssignFaceDto {
  @ApiPropertyOptional({ example: 3, description: 'An existing person (give this or name)' })
  personId?: number;

  @ApiPropertyOptional({ example: 'Ada Lovelace', description: 'A person by name, created when new (give this or personId)' })
  name?: string;

  @ApiPropertyOptional({
    type: [Number],
    example: [60],
    description: 'Faces a 409 faces_need_confirmation named that the caller confirms: they are enrolled anyway',
  })
  confirm?: number[];
}

export class NameClusterDto extends AssignFaceDto {
  @ApiPropertyOptional({
    type: [Number],
    example: [61],
    description: 'Faces of the group that are someone else: not enrolled, "Not <name>" for them, and never grouped again',
  })
  leaveOut?: number[];
}

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

/** `{"personId"|"name", "confirm"?: [faceIds]}`. */
export function parseAssignBody(body: unknown): AssignBody {
  const fields = requireObject(body, '{"personId": <id>} or {"name": "…"}, and optionally "confirm": [faceIds]');
  return { target: parseAssignTarget(fields), confirm: parseFaceIds(fields.confirm, 'confirm') };
}

/** `{"personId"|"name", "confirm"?: [faceIds], "leaveOut"?: [faceIds]}`. */
export function parseNameClusterBody(body: unknown): NameClusterBody {
  const fields = requireObject(body, '{"personId": <id>} or {"name": "…"}, and optionally "confirm" and "leaveOut": [faceIds]');
  return { target: parseAssignTarget(fields), confirm: parseFaceIds(fields.confirm, 'confirm'), leaveOut: parseFaceIds(fields.leaveOut, 'leaveOut') };
}

/** An optional list of face ids (absent: none): 400 `invalid_<field>` unless positive integers, at most {@link MAX_FACE_IDS}. */
function parseFaceIds(value: unknown, field: string): number[] {
  if (value === undefined || value === null) return [];
  const valid = Array.isArray(value) && value.length <= MAX_FACE_IDS && value.every((id) => bodyId(id) !== undefined);
  if (!valid) {
    const code = `invalid_${field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}`;
    throw new ApiError(HttpStatus.BAD_REQUEST, `${field} must be a list of at most ${MAX_FACE_IDS} face ids`, { code });
  }
  return [...new Set(value as number[])];
}

/** `{"personId": <id>}` or `{"name": "…"}` (the name rules of POST /persons), exactly one of them. */
function parseAssignTarget(fields: Record<string, unknown>): AssignTarget {
  const hasPersonId = fields.personId !== undefined && fields.personId !== null;
  if (hasPersonId && fields.name !== undefined && fields.name !== null) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'give either personId or name, not both', { code: 'ambiguous_person' });
  }
  if (!hasPersonId) return parseCreatePersonBody(fields);
  const personId = bodyId(fields.personId);
  if (personId === undefined) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `personId must be a positive integer up to ${MAX_ID}`, { code: 'invalid_person_id' });
  }
  return { personId };
}
