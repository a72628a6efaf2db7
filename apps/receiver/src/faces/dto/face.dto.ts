import { ApiProperty } from '@nestjs/swagger';
import { bodyId, personName, refuse } from '@visage/validation';
import { z } from 'zod';

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

/**
 * `{"personId": <id>}` or `{"name": "…"}` (the name rules of POST /persons), exactly one of them; a null counts
 * as absent. Without either, the name is what is missing (`name_required`).
 */
export const assignBody = z
  .object({
    personId: bodyId('personId', 'invalid_person_id').nullish().meta({ description: 'An existing person (give this or name)' }),
    name: personName.nullish().meta({ description: 'A person by name, created when new (give this or personId)' }),
  })
  .meta({ description: 'Exactly one of personId and name' })
  .transform((fields, context): AssignBody => {
    if (fields.personId != null && fields.name != null) refuse(context, fields, { code: 'ambiguous_person', message: 'give either personId or name, not both' });
    else if (fields.personId != null) return { personId: fields.personId };
    else if (fields.name != null) return { name: fields.name };
    else refuse(context, fields, { code: 'name_required', message: 'name is required' });
    return z.NEVER;
  });

export type AssignBody = { personId: number } | { name: string };
