import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiError } from '../../common/api-error';
import { bodyId, requireObject } from '../../common/body';

/** Matches the `persons.name` column (varchar 255, counted in characters). */
export const MAX_PERSON_NAME_LENGTH = 255;

export class CreatePersonDto {
  @ApiProperty({ example: 'Ada Lovelace', maxLength: MAX_PERSON_NAME_LENGTH })
  name!: string;
}

export class PersonDto {
  @ApiProperty({ example: 3 }) id!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) name!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ description: 'Detected faces matched to this person' }) faceCount!: number;
  @ApiProperty({ description: 'Enrolled reference faces of this person' }) knownFaceCount!: number;
  @ApiProperty({ description: 'Two of its enrolments are farther apart than ENROLMENT_DISAGREEMENT_DISTANCE: they may show two people' })
  enrolmentsDisagree!: boolean;
  @ApiPropertyOptional({ type: () => EnrolmentDisagreementDto, nullable: true, description: 'How they disagree; null when they do not' })
  disagreement!: EnrolmentDisagreementDto | null;
}

export class EnrolmentDisagreementDto {
  @ApiProperty({ example: 0.83, description: 'The largest distance between two of its enrolments' }) spread!: number;
  @ApiProperty({ type: [Number], example: [12], description: 'Enrolments far from most of the others: the ones to look at' }) outlierEnrolmentIds!: number[];
}

export class MergePersonDto {
  @ApiProperty({ example: 3, description: 'The person that remains: every enrolment and named face moves to it' }) into!: number;
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
}

export class PersonListDto {
  @ApiProperty({ type: [PersonDto] }) items!: PersonDto[];
}

/** `{"name": …}` → a trimmed name of 1–255 characters without control characters. */
export function parseCreatePersonBody(body: unknown): { name: string } {
  const name = requireObject(body, '{"name": "…"}').name;
  const fail = (message: string, code: string): never => {
    throw new ApiError(HttpStatus.BAD_REQUEST, message, { code });
  };
  if (name === undefined || name === null) return fail('name is required', 'name_required');
  if (typeof name !== 'string') return fail('name must be a string', 'name_not_string');
  const trimmed = name.trim();
  if (trimmed === '') return fail('name must not be empty', 'name_required');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return fail('name must not contain control characters', 'name_invalid');
  if ([...trimmed].length > MAX_PERSON_NAME_LENGTH) return fail(`name must be at most ${MAX_PERSON_NAME_LENGTH} characters`, 'name_too_long');
  return { name: trimmed };
}

/** `{"into": <id>}`: the person a merge keeps. */
export function parseMergeBody(body: unknown): { into: number } {
  const into = requireObject(body, '{"into": <person id>}').into;
  if (into === undefined || into === null) throw new ApiError(HttpStatus.BAD_REQUEST, 'into is required: the id of the person to merge into', { code: 'into_required' });
  const id = bodyId(into);
  if (id === undefined) throw new ApiError(HttpStatus.BAD_REQUEST, 'into must be a positive integer person id', { code: 'invalid_into' });
  return { into: id };
}
