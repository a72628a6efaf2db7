import { ApiProperty } from '@nestjs/swagger';
import { personName } from '@visage/validation';
import { z } from 'zod';

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

/** `{"name": …}`: the person name rule shared with the dashboard and POST /keys. */
export const createPersonBody = z.object({ name: personName });
export type CreatePersonBody = z.output<typeof createPersonBody>;
