import { HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { ImageStatus } from '@visage/domain';
import { CreateImageResult, DeletedImage, ImageDetailsView, ImageListQuery, ImagePage, ImageRepository } from '@visage/persistence';
import { resolveImagePath } from '@visage/storage';
import { ApiError, errorBody } from '../common/api-error';
import { errorBodyOf } from '../common/all-exceptions.filter';
import { ImageAcceptedDto } from './dto/post-image.dto';
import { BatchItem, BatchItemResultDto } from './dto/post-images.dto';
import { UploadItemResultDto } from './dto/upload-images.dto';
import { MAX_UPLOAD_FILES, UploadReceiver } from '../uploads/upload-receiver';
import { IncomingMessage } from 'node:http';
import { ImagePublisher, ImageRequeueService } from '@visage/image-queue';
import { currentLogContext, metrics } from '@visage/observability';

function imageNotFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `image ${id} does not exist`, { code: 'image_not_found' });
}

/**
 * A batch item refused on its own (any error a client should see): its error body, and the existing image's id when
 * the refusal names one. Anything unexpected is thrown (a 500).
 */
function rejectedItem(index: number, error: unknown): BatchItemResultDto {
  const body = errorBodyOf(error);
  if (!body) throw error;
  return { index, ...(body.id !== undefined ? { id: body.id } : {}), error: body };
}

@Injectable()
export class ImagesService {
  private readonly imagesRoot: string;
  private readonly maxBytes: number;

  constructor(
    private readonly images: ImageRepository,
    private readonly publisher: ImagePublisher,
    private readonly requeue: ImageRequeueService,
    private readonly uploads: UploadReceiver,
    config: ConfigService,
  ) {
    this.imagesRoot = config.get('storage').imagesRoot;
    this.maxBytes = config.get('MAX_IMAGE_BYTES');
  }

  /** Validates the path, stores the canonical relative path, then publishes the id. */
  async submit(path: string): Promise<ImageAcceptedDto> {
    const result = await this.createAndPublish(path);
    if (!result.created) {
      throw new ApiError(HttpStatus.CONFLICT, `${result.relative} was already submitted as image ${result.existingId}`, {
        code: 'duplicate_path',
        id: result.existingId,
      });
    }
    return { id: result.id, status: 'pending' };
  }

  /**
   * An uploaded file (its content-addressed path): queued like a submitted path, but the same bytes uploaded again
   * are answered with the image they already are (`duplicate`, its current status), not refused.
   */
  async submitUploaded(relative: string): Promise<{ id: number; status: ImageStatus; duplicate: boolean }> {
    // Twice at most: the existing image may be deleted between the insert that met it and the read.
    for (let attempt = 0; ; attempt++) {
      const result = await this.createAndPublish(relative);
      if (result.created) return { id: result.id, status: 'pending', duplicate: false };
      const existing = await this.images.findById(result.existingId);
      if (existing) return { id: existing.id, status: existing.status, duplicate: true };
      if (attempt > 0) throw new Error(`image ${result.existingId} (${relative}) vanished twice while being answered as a duplicate`);
    }
  }

  /** The image row for a path under IMAGES_ROOT (checked by resolveImagePath), published when new. */
  private async createAndPublish(path: string): Promise<CreateImageResult & { relative: string }> {
    const resolved = await resolveImagePath(this.imagesRoot, path, { maxBytes: this.maxBytes });
    const result = await this.images.create(resolved.relative, currentLogContext().requestId ?? null);
    if (result.created) {
      metrics.imagesSubmitted.inc();
      await this.publisher.publish(result.id);
    }
    return { ...result, relative: resolved.relative };
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
        results.push(rejectedItem(index, error));
      }
    }
    return results;
  }

  /**
   * `POST /images`: every file of the upload stored (content-addressed) and queued as it arrives; each answered on
   * its own as a `/images/post` item, with where it is stored and whether the same bytes were there already.
   */
  async upload(request: IncomingMessage): Promise<UploadItemResultDto[]> {
    const answers = new Map<number, Awaited<ReturnType<ImagesService['submitUploaded']>>>();
    const files = await this.uploads.receive(request, {
      maxFiles: MAX_UPLOAD_FILES,
      accept: async (file) => void answers.set(file.index, await this.submitUploaded(file.stored.relative)),
    });
    return files.map((file) =>
      file.error || !file.stored
        ? { ...rejectedItem(file.index, file.error), name: file.name }
        : { index: file.index, name: file.name, path: file.stored.relative, ...answers.get(file.index) },
    );
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
