import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IMAGE_STATUSES, ImageStatus } from '@visage/domain';
import { BatchItemResultDto } from './post-images.dto';

/** One uploaded file's answer: the fields of a `/images/post` item, plus where it was stored and whether it was new. */
export class UploadItemResultDto extends PickType(BatchItemResultDto, ['index', 'id', 'error'] as const) {
  @ApiPropertyOptional({
    enum: IMAGE_STATUSES,
    description: "`pending` when accepted; for a duplicate, the existing image's current status",
    example: 'pending',
  })
  status?: ImageStatus;

  @ApiPropertyOptional({ description: 'Where the file is stored, relative to IMAGES_ROOT (content-addressed)', example: 'uploads/9f/86/9f86d0….jpg' })
  path?: string;

  @ApiPropertyOptional({ description: 'The file name the client sent (multipart only)', example: 'party.jpg', nullable: true })
  name?: string | null;

  @ApiPropertyOptional({ description: 'True when the same bytes had been uploaded before: `id` is that image, nothing new was queued' })
  duplicate?: boolean;
}

export class UploadAcceptedDto {
  @ApiProperty({ type: [UploadItemResultDto] })
  images!: UploadItemResultDto[];
}
