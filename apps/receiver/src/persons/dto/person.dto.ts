import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { bodyId, personName, refuse } from '@visage/validation';
import { z } from 'zod';

export class PersonDto {
  @ApiProperty({ example: 3 }) id!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) name!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ description: 'Detected faces matched to this person' }) faceCount!: number;
  @ApiProperty({ description: 'Enrolled reference faces of this person' }) knownFaceCount!: number;
  @ApiProperty({
    description:
      "Two of its enrolments are farther apart than the descriptor recipe's disagreement bound (0.65 for mobilefacenet): they may show two people",
  })
  enrolmentsDisagree!: boolean;
  @ApiPropertyOptional({ type: () => EnrolmentDisagreementDto, nullable: true, description: 'How they disagree; null when they do not' })
  disagreement!: EnrolmentDisagreementDto | null;
}

export class EnrolmentDisagreementDto {
  @ApiProperty({ example: 0.83, description: 'The largest distance between two of its enrolments' }) spread!: number;
  @ApiProperty({ type: [Number], example: [12], description: 'Enrolments far from most of the others: the ones to look at' })
  outlierEnrolmentIds!: number[];
}

export class PersonMergedDto {
  @ApiProperty({ type: () => PersonDto, description: 'The person that remains, with its new counts' }) person!: PersonDto;
  @ApiProperty({ example: { id: 5, name: 'Ada L.' }, description: 'The person merged into it (deleted)' }) merged!: { id: number; name: string };
  @ApiProperty({ example: 2, description: 'Enrolments moved' }) movedEnrolments!: number;
  @ApiProperty({ example: 14, description: 'Named faces moved' }) movedFaces!: number;
  @ApiProperty({ example: 31, description: 'Gallery version made by the merge; the re-match follows it' }) galleryVersion!: number;
}

export class EnrolledFaceDto {
  @ApiProperty({ example: 12, description: 'Id of the enrolled face' }) id!: number;
  @ApiProperty({ example: 3 }) personId!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) personName!: string;
  @ApiProperty({ example: 'known/ada_2.jpg', description: 'Canonical path under IMAGES_ROOT' }) path!: string;
  @ApiProperty({ example: 1, description: 'Faces the photo shows; above 1, the clearly dominant one (largest and most central) was enrolled' })
  facesInPhoto!: number;
  @ApiProperty({ required: false, example: 'the photo shows 2 faces: the clearly dominant one (largest and most central) was enrolled' })
  note?: string;
}

export class PersonListDto {
  @ApiProperty({ type: [PersonDto] }) items!: PersonDto[];
}

/** `{"name": …}`: the person name rule shared with the dashboard and POST /keys. */
export const createPersonBody = z.object({ name: personName });
export type CreatePersonBody = z.output<typeof createPersonBody>;

/** `{"into": <id>}`: the person a merge keeps (`into_required` when missing, `invalid_into` when not an id). */
export const mergeBody = z
  .object({
    into: bodyId('into', 'invalid_into')
      .nullish()
      .meta({ description: 'The person that remains: every enrolment and named face moves to it', example: 3 }),
  })
  .transform((fields, context): { into: number } => {
    if (fields.into != null) return { into: fields.into };
    refuse(context, fields, { code: 'into_required', message: 'into is required: the id of the person to merge into' });
    return z.NEVER;
  });
