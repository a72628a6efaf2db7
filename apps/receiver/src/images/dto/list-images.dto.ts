import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IMAGE_STATUSES, ImageStatus, isImageStatus } from '@visage/domain';
import { decodeImageCursor, ImageCursor } from '@visage/persistence';
import { ApiError } from '../../common/api-error';
import { parseId } from '../../common/positive-id.pipe';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface ListImagesQuery {
  status?: ImageStatus;
  /** `?person=<id>`: only images with a face of this person. */
  personId?: number;
  limit: number;
  cursor?: ImageCursor;
}

/** A query parameter given once, as text (express turns `?a=1&a=2` into an array). */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ApiError(HttpStatus.BAD_REQUEST, `${name} must be given once`, { code: `invalid_${name}` });
  return value;
}

/** `?limit=&cursor=` → a validated page request; an empty parameter counts as absent. */
export function parsePageQuery(raw: unknown): Pick<ListImagesQuery, 'limit' | 'cursor'> {
  return parseKeysetPage(raw, decodeImageCursor);
}

/** `?limit=&cursor=` of any keyset-paginated list, with the list's own cursor decoder. */
export function parseKeysetPage<Cursor>(raw: unknown, decode: (text: string) => Cursor | undefined): { limit: number; cursor?: Cursor } {
  const query = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const limitText = single(query, 'limit') || undefined;
  const cursorText = single(query, 'cursor') || undefined;
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, { code: 'invalid_limit' });
  }
  const cursor = cursorText === undefined ? undefined : decode(cursorText);
  if (cursorText !== undefined && !cursor) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'cursor is not one this API returned (use nextCursor of the previous page)', { code: 'invalid_cursor' });
  }
  return { limit, cursor };
}

/** `?status=&person=&limit=&cursor=` → a validated page request; an empty parameter counts as absent. */
export function parseListImagesQuery(raw: unknown): ListImagesQuery {
  const query = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const status = single(query, 'status') || undefined;
  const personText = single(query, 'person') || undefined;
  if (status !== undefined && !isImageStatus(status)) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `status must be one of ${IMAGE_STATUSES.join(', ')}`, { code: 'invalid_status' });
  }
  const personId = personText === undefined ? undefined : parseId(personText, 'person', 'invalid_person');
  return { status, personId, ...parsePageQuery(query) };
}

export class FaceQualityDto {
  @ApiProperty({ example: false, description: 'Judged of low quality when stored (QUALITY_* settings): shown, never named, never enrolled' })
  lowQuality!: boolean;
  @ApiProperty({ example: [], type: [String], description: 'Why: too_small, low_score, blurred, turned_away, tilted_up_or_down' }) reasons!: string[];
  @ApiPropertyOptional({ example: 412.5, nullable: true, type: Number, description: 'Variance of the Laplacian of the 64×64 grey face crop; null: not measured' })
  sharpness!: number | null;
  @ApiPropertyOptional({ example: -8.2, nullable: true, type: Number, description: 'Head turn left/right, degrees (estimated from the landmarks)' }) yaw!: number | null;
  @ApiPropertyOptional({ example: 3.1, nullable: true, type: Number, description: 'Head tilt up/down, degrees' }) pitch!: number | null;
  @ApiPropertyOptional({ example: 1.4, nullable: true, type: Number, description: 'In-plane rotation, degrees' }) roll!: number | null;
}

export class FaceDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: { x: 10, y: 20, width: 64, height: 64 } }) box!: { x: number; y: number; width: number; height: number };
  @ApiProperty({ example: 0.98 }) score!: number;
  @ApiPropertyOptional({ example: 0.41, nullable: true, type: Number }) distance!: number | null;
  @ApiPropertyOptional({ example: { id: 3, name: 'Ada' }, nullable: true, type: Object }) person!: { id: number; name: string } | null;
  @ApiPropertyOptional({ example: 4, nullable: true, type: Number, description: 'Gallery version the person was decided against; null: stored before descriptors were kept' })
  galleryVersion!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Date, description: 'When the person was last decided (first match or re-match)' }) matchedAt!: Date | null;
  @ApiProperty({ type: FaceQualityDto }) quality!: FaceQualityDto;
}

export class ImageSummaryDto {
  @ApiProperty({ example: 17 }) id!: number;
  @ApiProperty({ example: 'holiday/beach.jpg' }) path!: string;
  @ApiProperty({
    enum: IMAGE_STATUSES,
    description:
      'retrying: an attempt failed and another automatic one is due at nextAttemptAt; failed: final, no automatic retry will happen',
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
    description: 'Oldest gallery version among the faces\' identities; identities follow the gallery, so this catches up after an enrolment or a deletion',
  })
  galleryVersion!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Date, description: 'When the faces\' identities were last decided' }) matchedAt!: Date | null;
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
