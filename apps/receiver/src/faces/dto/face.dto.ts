import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_ID } from '@visage/domain';
import { ApiError } from '../../common/api-error';
import { requireObject } from '../../common/body';
import { parseCreatePersonBody } from '../../persons/dto/person.dto';

/** Who a face (or a group of faces) is: an existing person by id, or a name (created when new). */
export class AssignFaceDto {
  @ApiPropertyOptional({ example: 3, description: 'An existing person (give this or name)' })
  personId?: number;

  @ApiPropertyOptional({ example: 'Ada Lovelace', description: 'A person by name, created when new (give this or personId)' })
  name?: string;
}

export class FaceAssignmentDto {
  @ApiProperty({ example: 41 }) faceId!: number;
  @ApiProperty({ example: 17 }) imageId!: number;
  @ApiProperty({ example: 3 }) personId!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) personName!: string;
  @ApiProperty({ example: 12, description: 'Gallery version made by the enrolment; the other faces follow through re-matching' })
  galleryVersion!: number;
}

export class FaceRejectionDto {
  @ApiProperty({ example: 41 }) faceId!: number;
  @ApiProperty({ example: 17 }) imageId!: number;
  @ApiProperty({ example: 3, description: 'The person this face is never given to again' }) rejectedPersonId!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) rejectedPersonName!: string;
}

export type AssignBody = { personId: number } | { name: string };

/** `{"personId": <id>}` or `{"name": "…"}` (the name rules of POST /persons), exactly one of them. */
export function parseAssignBody(body: unknown): AssignBody {
  const fields = requireObject(body, '{"personId": <id>} or {"name": "…"}');
  const hasPersonId = fields.personId !== undefined && fields.personId !== null;
  if (hasPersonId && fields.name !== undefined && fields.name !== null) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'give either personId or name, not both', { code: 'ambiguous_person' });
  }
  if (!hasPersonId) return parseCreatePersonBody(fields);
  const personId = fields.personId;
  if (typeof personId !== 'number' || !Number.isInteger(personId) || personId < 1 || personId > MAX_ID) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `personId must be a positive integer up to ${MAX_ID}`, { code: 'invalid_person_id' });
  }
  return { personId };
}
