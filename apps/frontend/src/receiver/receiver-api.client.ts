import { Injectable } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { ConfigService } from '@visage/config';
import type { MisfitReason } from '@visage/matcher';

/** Who the dashboard acts for: the API key its session signed in with (empty with AUTH=off). */
export interface ReceiverCaller {
  apiKey: string;
}

/** Outcome of one call to the receiver: never thrown, so a controller can always answer with a page. */
export type ReceiverResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; message: string; code?: string; body?: unknown };

/** A face the receiver refused to enrol without confirmation (409 `faces_need_confirmation`), and why. */
export interface FaceMisfit {
  faceId: number;
  reasons: MisfitReason[];
}

/** Faces confirmed after a 409 `faces_need_confirmation`, and (naming a group) faces left out. */
export interface Confirmations {
  confirm?: number[];
  leaveOut?: number[];
}

/** The faces of a 409 `faces_need_confirmation`, or undefined for any other outcome. */
export function misfitsOf(result: ReceiverResult<unknown>): FaceMisfit[] | undefined {
  if (result.ok || result.code !== 'faces_need_confirmation') return undefined;
  const faces = (result.body as { faces?: unknown } | undefined)?.faces;
  if (!Array.isArray(faces)) return undefined;
  return faces.filter(
    (face): face is FaceMisfit => typeof face === 'object' && face !== null && typeof face.faceId === 'number' && Array.isArray(face.reasons),
  );
}

export interface RetryAccepted {
  id: number;
  status: string;
}

/** `POST /persons/:id/faces`'s answer; `note` when the photo showed several faces and the dominant one was taken. */
export interface EnrolledFace {
  id: number;
  facesInPhoto: number;
  note?: string;
}

export interface CreatedPerson {
  id: number;
  name: string;
}

/** One uploaded file's answer (`POST /images`): accepted or a duplicate (`id`, `status`), or refused (`error`). */
export interface UploadedItem {
  index: number;
  id?: number;
  status?: string;
  name?: string | null;
  duplicate?: boolean;
  error?: { statusCode: number; message: string; code?: string };
}

const TIMEOUT_MS = 15_000;
/** An upload streams from the browser through this app: its time is the browser's upload time. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

/**
 * Adapter to the receiver's HTTP API: the dashboard's actions (retry, add a person, enrol a face) go through
 * the same validation, queueing and recognizer calls as any other client, instead of a second write path, with
 * the API key of the signed-in session (so the receiver checks its scope and the audit log names it).
 */
@Injectable()
export class ReceiverApiClient {
  private readonly baseUrl: string;

  constructor(config: ConfigService) {
    this.baseUrl = config.get('RECEIVER_URL').replace(/\/+$/, '');
  }

  retryImage(caller: ReceiverCaller, imageId: number): Promise<ReceiverResult<RetryAccepted>> {
    return this.post(caller, `/images/${imageId}/retry`, undefined);
  }

  createPerson(caller: ReceiverCaller, name: string): Promise<ReceiverResult<CreatedPerson>> {
    return this.post(caller, '/persons', { name });
  }

  enrolFace(caller: ReceiverCaller, personId: number, path: string): Promise<ReceiverResult<EnrolledFace>> {
    return this.post(caller, `/persons/${personId}/faces`, { path });
  }

  /** `POST /images` with the browser's upload body (multipart or image/*), streamed through untouched. */
  uploadImages(caller: ReceiverCaller, upload: IncomingMessage): Promise<ReceiverResult<{ images: UploadedItem[] }>> {
    return this.send(caller, '/images', 'POST', { stream: upload, contentType: upload.headers['content-type'] ?? '' });
  }

  /** "Add a photo": the person's face enrolled from the browser's upload body. */
  enrolUploadedFace(caller: ReceiverCaller, personId: number, upload: IncomingMessage): Promise<ReceiverResult<EnrolledFace>> {
    return this.send(caller, `/persons/${personId}/faces`, 'POST', { stream: upload, contentType: upload.headers['content-type'] ?? '' });
  }

  /** "This is …": the face enrolled for the person named `name` (created when new). */
  assignFace(caller: ReceiverCaller, faceId: number, name: string, confirmations: Confirmations = {}): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/faces/${faceId}/assign`, { name, ...confirmations });
  }

  /** Merges person `personId` into person `into`. */
  mergePerson(caller: ReceiverCaller, personId: number, into: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/persons/${personId}/merge`, { into });
  }

  /** "Not <name>". */
  rejectFace(caller: ReceiverCaller, faceId: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/faces/${faceId}/reject`, undefined);
  }

  nameCluster(caller: ReceiverCaller, clusterId: number, name: string, confirmations: Confirmations = {}): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/clusters/${clusterId}/name`, { name, ...confirmations });
  }

  ignoreCluster(caller: ReceiverCaller, clusterId: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/clusters/${clusterId}/ignore`, undefined);
  }

  /** "Not the same person". */
  removeClusterFace(caller: ReceiverCaller, clusterId: number, faceId: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/clusters/${clusterId}/faces/${faceId}`, undefined, 'DELETE');
  }

  private post<T>(caller: ReceiverCaller, path: string, body: unknown, method: 'POST' | 'DELETE' = 'POST'): Promise<ReceiverResult<T>> {
    return this.send(caller, path, method, body === undefined ? undefined : { json: body });
  }

  private async send<T>(
    caller: ReceiverCaller,
    path: string,
    method: 'POST' | 'DELETE',
    body?: { json: unknown } | { stream: IncomingMessage; contentType: string },
  ): Promise<ReceiverResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body) headers['content-type'] = 'json' in body ? 'application/json' : body.contentType;
    if (caller.apiKey) headers.authorization = `Bearer ${caller.apiKey}`;
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        // A stream is sent as it arrives (duplex 'half': the answer may come before its end, e.g. a 413).
        ...(body === undefined
          ? {}
          : 'json' in body
            ? { body: JSON.stringify(body.json) }
            : { body: body.stream as unknown as ReadableStream, duplex: 'half' }),
        signal: AbortSignal.timeout(body && 'stream' in body ? UPLOAD_TIMEOUT_MS : TIMEOUT_MS),
      } as RequestInit);
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? 'did not answer in time' : 'is not reachable';
      return { ok: false, status: 502, message: `The receiver at ${this.baseUrl} ${reason}. Try again later.` };
    }
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if (response.ok) return { ok: true, status: response.status, body: parsed as T };
    const refused = { ok: false as const, status: response.status, message: errorMessage(parsed, response) };
    // A coded answer comes with its body: some codes carry what the page shows next (faces to confirm).
    const code = typeof parsed === 'object' && parsed !== null ? (parsed as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? { ...refused, code, body: parsed } : refused;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The receiver answers `{statusCode, error, message}`; `message` may be a list (validation). */
function errorMessage(body: unknown, response: globalThis.Response): string {
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  if (Array.isArray(message) && message.length > 0) return message.map(String).join('; ');
  if (typeof message === 'string' && message.trim()) return message;
  return `The receiver refused the request (${response.status} ${response.statusText}).`;
}
