import { readCookie, setCookie } from './cookies';
import { HttpRequest as Request, HttpResponse as Response } from './http';

/** A one-shot message shown after a redirect (post/redirect/get), e.g. the receiver's answer to a retry. */
export interface FlashMessage {
  kind: 'success' | 'error';
  text: string;
  /** The refusal's code (a form a shared rule refused), for scripts and tests; not shown. */
  code?: string;
}

const COOKIE = 'visage_flash';

export function setFlash(response: Response, message: FlashMessage): void {
  const value = Buffer.from(JSON.stringify({ kind: message.kind, text: message.text.slice(0, 1000), code: message.code })).toString('base64url');
  setCookie(response, COOKIE, value, { maxAge: 60 });
}

/** Reads and clears the flash cookie; anything malformed is ignored (it is only a message). */
export function takeFlash(request: Request, response: Response): FlashMessage | undefined {
  const raw = readCookie(request, COOKIE);
  if (!raw) return undefined;
  setCookie(response, COOKIE, '', { maxAge: 0 });
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<FlashMessage>;
    if ((parsed.kind === 'success' || parsed.kind === 'error') && typeof parsed.text === 'string') {
      return { kind: parsed.kind, text: parsed.text, ...(typeof parsed.code === 'string' ? { code: parsed.code } : {}) };
    }
  } catch {
    // a tampered or truncated cookie: no message
  }
  return undefined;
}
