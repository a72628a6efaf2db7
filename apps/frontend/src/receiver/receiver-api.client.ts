import { Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';

/** Who the dashboard acts for: the API key its session signed in with (empty with AUTH=off). */
export interface ReceiverCaller {
  apiKey: string;
}

/** Outcome of one call to the receiver: never thrown, so a controller can always answer with a page. */
export type ReceiverResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; message: string };

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

const TIMEOUT_MS = 15_000;

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

  /** "This is …": the face enrolled for the person named `name` (created when new). */
  assignFace(caller: ReceiverCaller, faceId: number, name: string): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/faces/${faceId}/assign`, { name });
  }

  /** "Not <name>". */
  rejectFace(caller: ReceiverCaller, faceId: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/faces/${faceId}/reject`, undefined);
  }

  nameCluster(caller: ReceiverCaller, clusterId: number, name: string): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/clusters/${clusterId}/name`, { name });
  }

  ignoreCluster(caller: ReceiverCaller, clusterId: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/clusters/${clusterId}/ignore`, undefined);
  }

  /** "Not the same person". */
  removeClusterFace(caller: ReceiverCaller, clusterId: number, faceId: number): Promise<ReceiverResult<unknown>> {
    return this.post(caller, `/clusters/${clusterId}/faces/${faceId}`, undefined, 'DELETE');
  }

  private async post<T>(caller: ReceiverCaller, path: string, body: unknown, method: 'POST' | 'DELETE' = 'POST'): Promise<ReceiverResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (caller.apiKey) headers.authorization = `Bearer ${caller.apiKey}`;
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? 'did not answer in time' : 'is not reachable';
      return { ok: false, status: 502, message: `The receiver at ${this.baseUrl} ${reason}. Try again later.` };
    }
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if (response.ok) return { ok: true, status: response.status, body: parsed as T };
    return { ok: false, status: response.status, message: errorMessage(parsed, response) };
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
