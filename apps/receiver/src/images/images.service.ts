import { HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { ImageStatus } from '@visage/domain';
import { DeletedImage, ImageDetailsView, ImageListQuery, ImagePage, ImageRepository } from '@visage/persistence';
import { resolveImagePath } from '@visage/storage';
import { ApiError, errorBody } from '../common/api-error';
import { errorBodyOf } from '../common/all-exceptions.filter';
import { ImageAcceptedDto } from './dto/post-image.dto';
import { BatchItem, BatchItemResultDto } from './dto/post-images.dto';
import { ImagePublisher, ImageRequeueService } from '@visage/image-queue';
import { currentLogContext, metrics } from '@visage/observability';

function imageNotFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `image ${id} does not exist`, { code: 'image_not_found' });
}

@Injectable()
export class ImagesService {
  private readonly imagesRoot: string;
  private readonly maxBytes: number;

  constructor(
    private readonly images: ImageRepository,
    private readonly publisher: ImagePublisher,
    private readonly requeue: ImageRequeueService,
    config: ConfigService,
  ) {
    this.imagesRoot = config.get('IMAGES_ROOT');
    this.maxBytes = config.get('MAX_IMAGE_BYTES');
  }

  /** Validates the path, stores the canonical relative path, then publishes the id. */
  async submit(path: string): Promise<ImageAcceptedDto> {
    const resolved = await resolveImagePath(this.imagesRoot, path, { maxBytes: this.maxBytes });
    const result = await this.images.create(resolved.relative, currentLogContext().requestId ?? null);
    if (!result.created) {
      throw new ApiError(HttpStatus.CONFLICT, `${resolved.relative} was already submitted as image ${result.existingId}`, {
        code: 'duplicate_path',
        id: result.existingId,
      });
    }
    metrics.imagesSubmitted.inc();
    await this.publisher.publish(result.id);
    return { id: result.id, status: 'pending' };
  }

  /** Each item independently; a rejected item carries its error body, the others go through. */
  async submitBatch(items: BatchItem[]): Promise<BatchItemResultDto[]> {
    const results: BatchItemResultDto[] = [];
    // One at a time: keeps a large batch from taking every database connection from other requests.
    for (const [index, item] of items.entries()) {
      if ('rejected' in item) {
        results.push({ index, error: errorBody(HttpStatus.BAD_REQUEST, item.rejected.message, { code: item.rejected.code }) });
        continue;
      }
      try {
        results.push({ index, ...(await this.submit(item.path)) });
      } catch (error) {
        const body = errorBodyOf(error);
        if (!body) throw error;
        results.push({ index, ...(body.id !== undefined ? { id: body.id } : {}), error: body });
      }
    }
    return results;
  }

  async get(id: number): Promise<ImageDetailsView> {
    const image = await this.images.findById(id);
    if (!image) throw imageNotFound(id);
    return image;
  }

  list(query: ImageListQuery): Promise<ImagePage> {
    return this.images.list(query);
  }

  counts(): Promise<Record<ImageStatus, number>> {
    return this.images.countByStatus();
  }

  /** Forgets the image: row, faces, descriptors, enrolments made from them; never the file. */
  async delete(id: number, actor: string): Promise<DeletedImage> {
    const deleted = await this.images.delete(id, { actor, action: 'image.deleted', target: `image:${id}` });
    if (!deleted) throw imageNotFound(id);
    return deleted;
  }

  /** failed → pending, then published again, through the same path as the dashboard's retry button. */
  async retry(id: number): Promise<ImageAcceptedDto> {
    const outcome = await this.requeue.retryImage(id);
    if (outcome === 'not_found') throw imageNotFound(id);
    if (outcome === 'not_failed') {
      throw new ApiError(HttpStatus.CONFLICT, `image ${id} is not failed; only failed images can be retried`, { code: 'not_failed', id });
    }
    return { id, status: 'pending' };
  }
}
