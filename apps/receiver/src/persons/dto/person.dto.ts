import { HttpStatus } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ApiError } from '../../common/api-error';
import { requireObject } from '../../common/body';

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
