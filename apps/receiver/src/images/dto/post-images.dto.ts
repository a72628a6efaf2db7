import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { imagePath, problemOf, ValidationProblem } from '@visage/validation';
import { z } from 'zod';
import { ApiErrorBody } from '../../common/api-error';

/** Items per batch; larger sets are sent as several batches. */
export const MAX_BATCH_ITEMS = 1000;

/** A batch item: its path, or why it was refused (it is answered on its own, the rest of the batch goes on). */
export type BatchItem = { path: string } | { rejected: ValidationProblem };

const batchItem = z
  .object({ path: imagePath }, { error: 'each item must be an object {"path": "…"}' })
  .transform((item): BatchItem => item)
  .catch(({ error }): BatchItem => {
    const issue = error.issues[0]!;
    return { rejected: issue.path.length === 0 ? { code: 'item_not_object', message: issue.message } : problemOf(issue, 'body') };
  });

/** `{"paths": [{"path": …}, …]}`: 1–1000 items; a bad item does not sink the batch. */
export const postImagesBody = z.object({ paths: z.array(batchItem).min(1).max(MAX_BATCH_ITEMS) });
export type PostImagesBody = z.output<typeof postImagesBody>;

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
