import { HttpStatus, Injectable } from '@nestjs/common';
import busboy from 'busboy';
import { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ConfigService } from '@visage/config';
import { storeUpload, StoredUpload, UploadError, UploadProblem } from '@visage/storage';
import { errorBodyOf } from '../common/all-exceptions.filter';
import { ApiError } from '../common/api-error';

/** Files one multipart request may carry (`file` parts); more are refused one by one (`too_many_files`). */
export const MAX_UPLOAD_FILES = 20;
/** Multipart framing and text fields on top of the files themselves. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

/** Media types of a raw (non-multipart) upload body; the file's own first bytes decide whether it is an image. */
const RAW_TYPE = /^(image\/[\w.+-]+|application\/octet-stream)$/i;
const MULTIPART_TYPE = /^multipart\/form-data$/i;
/** Routes that take an upload body; their multipart and image bodies skip the JSON parser. */
const UPLOAD_ROUTES = [/^\/images\/?$/, /^\/persons\/[^/]+\/faces\/?$/];

const STATUS_BY_PROBLEM: Record<UploadProblem, HttpStatus> = {
  file_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  empty_file: HttpStatus.UNPROCESSABLE_ENTITY,
  unsupported_image_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  unreadable_image: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  upload_aborted: HttpStatus.BAD_REQUEST,
};

function mediaTypeOf(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim();
}

/** A POST of a multipart or image body to an upload route: read by {@link UploadReceiver}, not by the JSON body parser. */
export function isUploadRequest(request: IncomingMessage): boolean {
  const mediaType = mediaTypeOf(request);
  const path = (request.url ?? '').split('?')[0];
  return request.method === 'POST' && (MULTIPART_TYPE.test(mediaType) || RAW_TYPE.test(mediaType)) && UPLOAD_ROUTES.some((route) => route.test(path));
}

export function uploadApiError(error: UploadError): ApiError {
  return new ApiError(STATUS_BY_PROBLEM[error.code], error.message, { code: error.code });
}

/** One file of an upload request: stored, or refused on its own. */
export interface ReceivedFile {
  /** Position among the request's file parts (0 for a raw body). */
  index: number;
  /** The client's file name (multipart only). */
  name: string | null;
  stored?: StoredUpload;
  error?: ApiError;
}

export interface ReceiveOptions {
  /** `file` parts accepted; later ones are refused one by one. */
  maxFiles: number;
  /**
   * Called once per stored file, in order, while later files may still be streaming (the next one's answer never
   * waits for the whole request). Its ApiError becomes that file's refusal.
   */
  accept?: (file: ReceivedFile & { stored: StoredUpload }) => Promise<void>;
}

/**
 * Reads the files of an upload request (`multipart/form-data` with `file` parts, or a raw `image/*` body) into the
 * upload store under IMAGES_ROOT, one at a time, each streamed to disk (never whole in memory) and checked on its
 * own: too large (413), not an image (415), empty (422). A raw body is one file, so its refusal is the request's
 * (thrown); in a multipart request each file is answered on its own and only the request itself (no file part,
 * malformed, far beyond the limits) is refused as a whole.
 */
@Injectable()
export class UploadReceiver {
  private readonly root: string;
  private readonly maxBytes: number;

  constructor(config: ConfigService) {
    this.root = config.get('storage').imagesRoot;
    this.maxBytes = config.get('storage').maxUploadBytes;
  }

  async receive(request: IncomingMessage, options: ReceiveOptions): Promise<ReceivedFile[]> {
    const mediaType = mediaTypeOf(request);
    if (MULTIPART_TYPE.test(mediaType)) return this.receiveMultipart(request, options);
    if (RAW_TYPE.test(mediaType)) return [await this.receiveRaw(request, options)];
    throw new ApiError(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      `send the picture as multipart/form-data (file parts) or as the body with an image/* content type, not ${mediaType || 'no content type'}`,
      { code: 'unsupported_media_type' },
    );
  }

  private async receiveRaw(request: IncomingMessage, options: ReceiveOptions): Promise<ReceivedFile> {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      request.resume();
      throw uploadApiError(new UploadError('file_too_large', `file is larger than ${this.maxBytes} bytes (MAX_UPLOAD_BYTES)`));
    }
    const stored = await this.store(request);
    if (stored instanceof ApiError) throw stored;
    const file = { index: 0, name: null, stored };
    await options.accept?.(file);
    return file;
  }

  private receiveMultipart(request: IncomingMessage, options: ReceiveOptions): Promise<ReceivedFile[]> {
    return new Promise((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: request.headers, limits: { fields: 50, fieldSize: 64 * 1024 } });
      } catch (error) {
        request.resume();
        reject(new ApiError(HttpStatus.BAD_REQUEST, `malformed multipart request: ${(error as Error).message}`, { code: 'malformed_multipart' }));
        return;
      }
      const files: ReceivedFile[] = [];
      // Stored files are accepted one after the other, in request order, so two equal files in one request are
      // answered as "created" then "duplicate", never the other way round.
      let accepted: Promise<void> = Promise.resolve();
      let failed = false;
      const fail = (error: ApiError) => {
        if (failed) return;
        failed = true;
        request.unpipe(parser);
        request.resume();
        reject(error);
      };

      let received = 0;
      const limit = options.maxFiles * this.maxBytes + MULTIPART_OVERHEAD_BYTES;
      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit)
          fail(new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, `request body is larger than ${limit} bytes`, { code: 'body_too_large' }));
      });

      parser.on('file', (field, stream, info) => {
        const file: ReceivedFile = { index: files.length, name: info.filename ?? null };
        files.push(file);
        const refuse = (error: ApiError) => {
          stream.resume();
          file.error = error;
        };
        if (field !== 'file')
          return refuse(
            new ApiError(HttpStatus.BAD_REQUEST, `file parts are named "file", not ${JSON.stringify(field)}`, { code: 'unexpected_field' }),
          );
        if (file.index >= options.maxFiles) {
          return refuse(
            new ApiError(HttpStatus.BAD_REQUEST, `at most ${options.maxFiles} files per request; send the rest in another`, {
              code: 'too_many_files',
            }),
          );
        }
        const stored = this.store(stream);
        // Handled below once the files before it are accepted; never an unhandled rejection meanwhile.
        stored.catch(() => undefined);
        accepted = accepted.then(async () => {
          const result = await stored;
          if (result instanceof ApiError) return void (file.error = result);
          file.stored = result;
          try {
            await options.accept?.({ ...file, stored: result });
          } catch (error) {
            // A refusal a client should see (a path rule, a persistence conflict…) is this file's; the rest is a 500.
            const body = errorBodyOf(error);
            if (!body) throw error;
            file.error = error instanceof ApiError ? error : new ApiError(body.statusCode, body.message, { code: body.code, id: body.id });
          }
        });
      });
      parser.once('error', (error: Error) =>
        fail(new ApiError(HttpStatus.BAD_REQUEST, `malformed multipart request: ${error.message}`, { code: 'malformed_multipart' })),
      );
      parser.once('close', () => {
        if (failed) return;
        accepted.then(() => {
          if (files.length === 0)
            return reject(new ApiError(HttpStatus.BAD_REQUEST, 'no file: send the picture in a part named "file"', { code: 'file_required' }));
          resolve(files);
        }, reject);
      });
      request.pipe(parser);
    });
  }

  /** The stored file, or its refusal as an ApiError (other failures, such as a full disk, are thrown). */
  private async store(source: Readable): Promise<StoredUpload | ApiError> {
    try {
      return await storeUpload(this.root, source, { maxBytes: this.maxBytes });
    } catch (error) {
      if (error instanceof UploadError) return uploadApiError(error);
      throw error;
    }
  }
}
