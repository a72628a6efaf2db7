import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiError, ApiErrorBody } from '../../common/api-error';
import { requireObject } from '../../common/body';
import { PostImageDto } from './post-image.dto';

/** Items per batch; larger sets are sent as several batches. */
export const MAX_BATCH_ITEMS = 1000;

export class PostImagesDto {
  @ApiProperty({ type: [PostImageDto], maxItems: MAX_BATCH_ITEMS })
  paths!: PostImageDto[];
}

export class BatchItemResultDto {
  @ApiProperty({ description: 'Position of the item in `paths`', example: 0 })
  index!: number;

  @ApiPropertyOptional({ description: 'Set when accepted (202) or a duplicate (409, the existing id)', example: 17 })
  id?: number;

  @ApiPropertyOptional({ enum: ['pending'], description: 'Set when accepted' })
  status?: 'pending';

  @ApiPropertyOptional({ type: ApiErrorBody, description: 'Set when rejected' })
  error?: ApiErrorBody;
}

export class BatchAcceptedDto {
  @ApiProperty({ type: [BatchItemResultDto] })
  images!: BatchItemResultDto[];
}

/**
 * `{"paths": [{"path": …}, …]}` → the raw path value of each item. Only the envelope is checked here; an
 * item that is not `{"path": …}` is rejected on its own later so one bad item does not sink the batch.
 */
export function parsePostImagesBody(body: unknown): { items: unknown[] } {
  const paths = requireObject(body, '{"paths": [{"path": "…"}]}').paths;
  if (paths === undefined) throw new ApiError(HttpStatus.BAD_REQUEST, 'paths is required: an array of {"path": "…"}', { code: 'paths_required' });
  if (!Array.isArray(paths)) throw new ApiError(HttpStatus.BAD_REQUEST, 'paths must be an array of {"path": "…"}', { code: 'paths_not_array' });
  if (paths.length === 0) throw new ApiError(HttpStatus.BAD_REQUEST, 'paths must not be empty', { code: 'paths_empty' });
  if (paths.length > MAX_BATCH_ITEMS) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `paths may hold at most ${MAX_BATCH_ITEMS} items, not ${paths.length}`, { code: 'paths_too_many' });
  }
  return { items: paths };
}

/** One batch item → its path value, or 400 when the item is not an object. */
export function parseBatchItem(item: unknown): { path: unknown } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'each item must be an object {"path": "…"}', { code: 'item_not_object' });
  }
  return { path: (item as Record<string, unknown>).path };
}
