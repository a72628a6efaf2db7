import { ApiProperty } from '@nestjs/swagger';
import { ImageStatus } from '@visage/domain';
import { requireObject } from '../../common/body';

export class PostImageDto {
  @ApiProperty({ description: 'Relative to IMAGES_ROOT, or absolute inside it', example: 'holiday/beach.jpg' })
  path!: string;
}

export class ImageAcceptedDto {
  @ApiProperty({ example: 17 })
  id!: number;

  @ApiProperty({ example: 'pending', enum: ['pending'] })
  status!: Extract<ImageStatus, 'pending'>;
}

/**
 * `{"path": …}` → the raw path value. The path's own rules (missing, not a string, escapes…) are checked
 * by resolveImagePath, which names each problem, so it is passed on untouched.
 */
export function parsePostImageBody(body: unknown): { path: unknown } {
  return { path: requireObject(body, '{"path": "…"}').path };
}
