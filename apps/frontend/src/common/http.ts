import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * The few Express request/response members the frontend uses. @types/express is not a dependency of the
 * workspace; these structural types keep the controllers strictly typed without adding one.
 */
export interface HttpRequest extends IncomingMessage {
  path: string;
  accepts(type: string): string | false;
}

export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  type(contentType: string): this;
  json(body: unknown): this;
  send(body: unknown): this;
  append(field: string, value: string): this;
  render(view: string, locals?: object): void;
  redirect(status: number, url: string): void;
}

export type NextFunction = (error?: unknown) => void;
