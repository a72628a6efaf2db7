import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * The few Express request/response members the frontend uses. @types/express is not a dependency of the
 * workspace; these structural types keep the controllers strictly typed without adding one.
 */
export interface HttpRequest extends IncomingMessage {
  path: string;
  originalUrl: string;
  /** Client address (X-Forwarded-For from a trusted proxy). */
  ip?: string;
  /** True over TLS, directly or behind a trusted proxy (X-Forwarded-Proto). */
  secure: boolean;
  body?: unknown;
  accepts(type: string): string | false;
}

export interface HttpResponse extends ServerResponse {
  /** Merged into every rendered view (the session's CSRF token, whether it may act). */
  locals: Record<string, unknown>;
  status(code: number): this;
  type(contentType: string): this;
  json(body: unknown): this;
  send(body: unknown): this;
  append(field: string, value: string): this;
  render(view: string, locals?: object): void;
  redirect(status: number, url: string): void;
}

export type NextFunction = (error?: unknown) => void;
