import { HttpStatus } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { isUploadRequest } from '../uploads/upload-receiver';
import { ApiError } from './api-error';

/** Largest accepted request body: a batch of a few thousand paths fits; anything bigger is refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

type BodyRequest = IncomingMessage & { body?: unknown };

const JSON_TYPE = /^application\/([\w.+-]+\+)?json$/i;

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      // Keep draining (not destroying) the socket so the client still receives the error response.
      request.removeListener('data', onData);
      request.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, `request body is larger than ${limit} bytes`, { code: 'body_too_large' }));
      else chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => !failed && resolve(Buffer.concat(chunks)));
    request.once('error', (error) => fail(error));
  });
}

interface PlainResponse {
  statusCode: number;
  setHeader(name: string, value: string): void;
  end(body: string): void;
}

/**
 * Parses JSON request bodies itself (the app starts without Nest's body parser) so that every body
 * mistake gets the uniform error JSON: wrong content type → 415, too large → 413, malformed → 400.
 * A request without a body gets `body = undefined` and fails validation as "missing". An upload (multipart or
 * image body to an upload route) is left unread for its route's UploadReceiver, which streams it to disk.
 *
 * Registered once with `app.use` (not as a Nest middleware per route: that adds an Express layer and a
 * Nest proxy per route to every request), so it answers its own errors instead of going through the
 * exception filter.
 */
export async function parseJsonBody(request: BodyRequest, response: PlainResponse, next: () => void): Promise<void> {
  if (!['POST', 'PUT', 'PATCH'].includes(request.method ?? '') || !hasBody(request) || isUploadRequest(request)) return next();
  try {
    request.body = await readJsonBody(request);
  } catch (caught) {
    // Anything else is the connection failing mid-body (client aborted): nobody may be listening, but answer anyway.
    const error =
      caught instanceof ApiError ? caught : new ApiError(HttpStatus.BAD_REQUEST, 'could not read the request body', { code: 'body_unreadable' });
    const text = JSON.stringify(error.getResponse());
    response.statusCode = error.getStatus();
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('content-length', String(Buffer.byteLength(text)));
    response.end(text);
    return;
  }
  next();
}

async function readJsonBody(request: BodyRequest): Promise<unknown> {
  const [mediaType = '', ...parameters] = (request.headers['content-type'] ?? '').split(';').map((part) => part.trim());
  if (!JSON_TYPE.test(mediaType)) {
    throw new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, `content type must be application/json, not ${mediaType || 'missing'}`, {
      code: 'unsupported_media_type',
    });
  }
  const charset = parameters
    .find((parameter) => /^charset=/i.test(parameter))
    ?.split('=')[1]
    ?.replace(/"/g, '');
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, `charset must be utf-8, not ${charset}`, { code: 'unsupported_charset' });
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    request.resume();
    throw new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, `request body is larger than ${MAX_BODY_BYTES} bytes`, { code: 'body_too_large' });
  }
  const text = (await readBody(request, MAX_BODY_BYTES)).toString('utf8');
  try {
    return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch (error) {
    throw new ApiError(HttpStatus.BAD_REQUEST, `malformed JSON: ${(error as Error).message}`, { code: 'malformed_json' });
  }
}
