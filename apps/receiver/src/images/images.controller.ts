import { applyDecorators, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Req } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { ImageListQuery } from '@visage/persistence';
import { ValidBody, ValidQuery } from '@visage/validation';
import { ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { ImageCountsDto, ImageDetailsDto, ImagePageDto, listImagesQuery } from './dto/list-images.dto';
import { ImageAcceptedDto, ImagePathBody, imagePathBody } from './dto/post-image.dto';
import { BatchAcceptedDto, PostImagesBody, postImagesBody } from './dto/post-images.dto';
import { UploadAcceptedDto } from './dto/upload-images.dto';
import { ImagesService } from './images.service';
import { ApiUploadBody } from '../uploads/upload-body';
import { MAX_UPLOAD_FILES } from '../uploads/upload-receiver';

/** Refusals shared by the two ingest routes. */
const BodyErrors = () =>
  applyDecorators(
    ApiResponse({ status: 400, type: ApiErrorBody, description: 'Malformed JSON, not an object, missing/empty/non-string path' }),
    ApiResponse({ status: 413, type: ApiErrorBody, description: 'Body too large' }),
    ApiResponse({ status: 415, type: ApiErrorBody, description: 'Content type is not application/json' }),
  );

@ApiTags('images')
@ApiBearerAuth()
@Controller()
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @Post('image/post')
  @Scope('submit')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Submit one image path; it is stored as pending and queued for recognition' })
  @ApiResponse({ status: 202, type: ImageAcceptedDto })
  @ApiResponse({ status: 409, type: ApiErrorBody, description: 'Path already submitted; `id` is the existing image' })
  @ApiResponse({ status: 422, type: ApiErrorBody, description: 'Outside IMAGES_ROOT, missing, not a file, empty or too large' })
  @BodyErrors()
  postImage(@ValidBody(imagePathBody) body: ImagePathBody): Promise<ImageAcceptedDto> {
    return this.images.submit(body.path);
  }

  @Post('images/post')
  @Scope('submit')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Submit many image paths; each item is accepted or rejected on its own' })
  @ApiResponse({ status: 202, type: BatchAcceptedDto })
  @BodyErrors()
  async postImages(@ValidBody(postImagesBody) body: PostImagesBody): Promise<BatchAcceptedDto> {
    return { images: await this.images.submitBatch(body.paths) };
  }

  @Post('images')
  @Scope('submit')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: `Upload pictures (multipart \`file\` parts, at most ${MAX_UPLOAD_FILES}, or one picture as an image/* body); each is stored and queued`,
    description:
      'Each file is streamed to disk, checked by its first bytes and header (JPEG, PNG, WebP, GIF, TIFF, AVIF) and stored once by its ' +
      'sha256 under `uploads/` in IMAGES_ROOT. Each is answered on its own, as an item of `/images/post`: accepted (`pending`), ' +
      'or the same bytes uploaded before (`duplicate: true`, the existing image and its current status; nothing queued again), ' +
      'or refused (`error`: 413 `file_too_large`, 415 `unsupported_image_type` / `unreadable_image`, 422 `empty_file`). ' +
      'A raw image body is one file: its refusal is the response itself.',
  })
  @ApiUploadBody(MAX_UPLOAD_FILES)
  @ApiResponse({ status: 202, type: UploadAcceptedDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'No `file` part (file_required), malformed multipart' })
  @ApiResponse({
    status: 413,
    type: ApiErrorBody,
    description: 'Raw body larger than MAX_UPLOAD_BYTES (file_too_large), or a multipart body far beyond the limits',
  })
  @ApiResponse({ status: 415, type: ApiErrorBody, description: 'Neither multipart/form-data nor image/*; a raw body that is not a supported image' })
  @ApiResponse({ status: 422, type: ApiErrorBody, description: 'A raw body that is empty' })
  async upload(@Req() request: IncomingMessage): Promise<UploadAcceptedDto> {
    return { images: await this.images.upload(request) };
  }

  @Get('images')
  @Scope('read')
  @ApiOperation({ summary: 'Images, newest first, with keyset pagination' })
  @ApiResponse({ status: 200, type: ImagePageDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Unknown status, bad person id, limit or cursor' })
  list(@ValidQuery(listImagesQuery) query: ImageListQuery): Promise<ImagePageDto> {
    return this.images.list(query);
  }

  @Get('images/counts')
  @Scope('read')
  @ApiOperation({ summary: 'Number of images per status' })
  @ApiResponse({ status: 200, type: ImageCountsDto })
  counts(): Promise<ImageCountsDto> {
    return this.images.counts();
  }

  @Get('images/:id')
  @Scope('read')
  @ApiOperation({
    summary: 'One image with its status, attempts, last error and detected faces',
    description: 'Identities follow the gallery: `galleryVersion` and `matchedAt` say which gallery version named the faces, and when.',
  })
  @ApiResponse({ status: 200, type: ImageDetailsDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'id is not a positive integer' })
  @ApiResponse({ status: 404, type: ApiErrorBody })
  get(@Param('id', PositiveIdPipe) id: number): Promise<ImageDetailsDto> {
    return this.images.get(id);
  }

  @Post('images/:id/retry')
  @Scope('submit')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Re-queue a failed image (fresh attempt budget)' })
  @ApiResponse({ status: 202, type: ImageAcceptedDto })
  @ApiResponse({ status: 404, type: ApiErrorBody })
  @ApiResponse({ status: 409, type: ApiErrorBody, description: 'The image is not failed' })
  retry(@Param('id', PositiveIdPipe) id: number): Promise<ImageAcceptedDto> {
    return this.images.retry(id);
  }

  @Delete('images/:id')
  @Scope('admin')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Forget an image: its row, faces and their descriptors, and enrolments made from those faces (the file stays)' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 400, type: ApiErrorBody })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such image (image_not_found)' })
  async delete(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<void> {
    await this.images.delete(id, actor);
  }
}
