import { Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';

/** Outcome of one call to the receiver: never thrown, so a controller can always answer with a page. */
export type ReceiverResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; message: string };

export interface RetryAccepted {
  id: number;
  status: string;
}

export interface CreatedPerson {
  id: number;
  name: string;
}

const TIMEOUT_MS = 15_000;

/**
 * Adapter to the receiver's HTTP API: the dashboard's actions (retry, add a person, enrol a face) go through
 * the same validation, queueing and recognizer calls as any other client, instead of a second write path.
 */
@Injectable()
export class ReceiverApiClient {
  private readonly baseUrl: string;

  constructor(config: ConfigService) {
    this.baseUrl = config.get('RECEIVER_URL').replace(/\/+$/, '');
  }

  retryImage(imageId: number): Promise<ReceiverResult<RetryAccepted>> {
    return this.post(`/images/${imageId}/retry`, undefined);
  }

  createPerson(name: string): Promise<ReceiverResult<CreatedPerson>> {
    return this.post('/persons', { name });
  }

  enrolFace(personId: number, path: string): Promise<ReceiverResult<unknown>> {
    return this.post(`/persons/${personId}/faces`, { path });
  }

  /** "This is …": the face enrolled for the person named `name` (created when new). */
  assignFace(faceId: number, name: string): Promise<ReceiverResult<unknown>> {
    return this.post(`/faces/${faceId}/assign`, { name });
  }

  /** "Not <name>". */
  rejectFace(faceId: number): Promise<ReceiverResult<unknown>> {
    return this.post(`/faces/${faceId}/reject`, undefined);
  }

  nameCluster(clusterId: number, name: string): Promise<ReceiverResult<unknown>> {
    return this.post(`/clusters/${clusterId}/name`, { name });
  }

  ignoreCluster(clusterId: number): Promise<ReceiverResult<unknown>> {
    return this.post(`/clusters/${clusterId}/ignore`, undefined);
  }

  /** "Not the same person". */
  removeClusterFace(clusterId: number, faceId: number): Promise<ReceiverResult<unknown>> {
    return this.post(`/clusters/${clusterId}/faces/${faceId}`, undefined, 'DELETE');
  }

  private async post<T>(path: string, body: unknown, method: 'POST' | 'DELETE' = 'POST'): Promise<ReceiverResult<T>> {
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
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
