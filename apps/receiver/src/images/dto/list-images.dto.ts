import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IMAGE_STATUSES, ImageStatus } from '@visage/domain';
import { decodeImageCursor, ImageListQuery } from '@visage/persistence';
import { idParam, imageStatusParam, keysetPageQuery } from '@visage/validation';
import { z } from 'zod';

/** `?limit=&cursor=` of the image lists ordered by id, newest first (images, a person's images). */
export const imagePageQuery = keysetPageQuery(decodeImageCursor);
export type ImagePageQuery = z.output<typeof imagePageQuery>;

/** `?status=&person=&limit=&cursor=` of GET /images; an empty parameter counts as absent. */
export const listImagesQuery = imagePageQuery
  .extend({ status: imageStatusParam, person: idParam('person', 'Only images where this person appears') })
  .transform(({ person, ...query }): ImageListQuery => ({ ...query, personId: person }));

export class FaceQualityDto {
  @ApiProperty({ example: false, description: 'Judged of low quality when stored (QUALITY_* settings): shown, never named, never enrolled' })
  lowQuality!: boolean;
  @ApiProperty({ example: [], type: [String], description: 'Why: too_small, low_score, blurred, turned_away, tilted_up_or_down' }) reasons!: string[];
  @ApiPropertyOptional({
    example: 412.5,
    nullable: true,
    type: Number,
    description: 'Variance of the Laplacian of the 64×64 grey face crop; null: not measured',
  })
  sharpness!: number | null;
  @ApiPropertyOptional({ example: -8.2, nullable: true, type: Number, description: 'Head turn left/right, degrees (estimated from the landmarks)' })
  yaw!: number | null;
  @ApiPropertyOptional({ example: 3.1, nullable: true, type: Number, description: 'Head tilt up/down, degrees' }) pitch!: number | null;
  @ApiPropertyOptional({ example: 1.4, nullable: true, type: Number, description: 'In-plane rotation, degrees' }) roll!: number | null;
}

export class FaceDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: { x: 10, y: 20, width: 64, height: 64 } }) box!: { x: number; y: number; width: number; height: number };
  @ApiProperty({ example: 0.98 }) score!: number;
  @ApiPropertyOptional({ example: 0.41, nullable: true, type: Number }) distance!: number | null;
  @ApiPropertyOptional({ example: { id: 3, name: 'Ada' }, nullable: true, type: Object }) person!: { id: number; name: string } | null;
  @ApiPropertyOptional({
    example: 4,
    nullable: true,
    type: Number,
    description: 'Gallery version the person was decided against; null: stored before descriptors were kept',
  })
  galleryVersion!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Date, description: 'When the person was last decided (first match or re-match)' })
  matchedAt!: Date | null;
  @ApiProperty({ type: FaceQualityDto }) quality!: FaceQualityDto;
}

export class ImageSummaryDto {
  @ApiProperty({ example: 17 }) id!: number;
  @ApiProperty({ example: 'holiday/beach.jpg' }) path!: string;
  @ApiProperty({
    enum: IMAGE_STATUSES,
    description: 'retrying: an attempt failed and another automatic one is due at nextAttemptAt; failed: final, no automatic retry will happen',
  })
  status!: ImageStatus;
  @ApiProperty({ example: 0, description: 'Processing attempts that ended in an error' }) attempts!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ description: 'The last failure cannot be fixed by retrying automatically' }) permanentFailure!: boolean;
  @ApiPropertyOptional({ nullable: true, type: Date, description: 'While retrying: when the next automatic attempt is due' })
  nextAttemptAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) width!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) height!: number | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class ImageDetailsDto extends ImageSummaryDto {
  @ApiPropertyOptional({ nullable: true, type: String, description: 'X-Request-Id of the submission, to find its log lines' })
  requestId!: string | null;
  @ApiProperty({ type: [FaceDto] }) faces!: FaceDto[];
  @ApiPropertyOptional({
    example: 4,
    nullable: true,
    type: Number,
    description:
      "Oldest gallery version among the faces' identities; identities follow the gallery, so this catches up after an enrolment or a deletion",
  })
  galleryVersion!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Date, description: "When the faces' identities were last decided" }) matchedAt!: Date | null;
}

export class ImagePageDto {
  @ApiProperty({ type: [ImageSummaryDto] }) items!: ImageSummaryDto[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor!: string | null;
}

export class ImageCountsDto {
  @ApiProperty() pending!: number;
  @ApiProperty() processing!: number;
  @ApiProperty() retrying!: number;
  @ApiProperty() processed!: number;
  @ApiProperty() unrecognized!: number;
  @ApiProperty() failed!: number;
}
