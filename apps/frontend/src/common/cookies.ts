import { HttpRequest as Request, HttpResponse as Response } from './http';

/** The value of cookie `name` in the request, if any. */
export function readCookie(request: Request, name: string): string | undefined {
  return (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Only over HTTPS (set when the request came over TLS, directly or through a trusted proxy). */
  secure?: boolean;
}

/** Appends a `Set-Cookie`: always HttpOnly, SameSite=Lax, Path=/. */
export function setCookie(response: Response, name: string, value: string, options: CookieOptions): void {
  response.append('Set-Cookie', `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${options.maxAge}${options.secure ? '; Secure' : ''}`);
}
