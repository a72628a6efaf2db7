import { ApiProperty } from '@nestjs/swagger';
import { ImageStatus } from '@visage/domain';
import { imagePath } from '@visage/validation';
import { z } from 'zod';

/**
 * `{"path": …}` of POST /image/post and POST /persons/:id/faces: the path value's own rules (missing, not a string,
 * NUL…); whether it names a file inside the root is for resolveImagePath.
 */
export const imagePathBody = z.object({ path: imagePath });
export type ImagePathBody = z.output<typeof imagePathBody>;

export class ImageAcceptedDto {
  @ApiProperty({ example: 17 })
  id!: number;

  @ApiProperty({ example: 'pending', enum: ['pending'] })
  status!: Extract<ImageStatus, 'pending'>;
}
