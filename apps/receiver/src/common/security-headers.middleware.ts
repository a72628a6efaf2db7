import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The receiver's headers on every answer, the OpenAPI UI at /docs included: no MIME sniffing, no framing, no
 * referrer. Swagger UI loads its scripts from this origin and writes an inline <style>, hence that one allowance.
 */
const RECEIVER_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

export function receiverSecurityHeaders(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
  for (const [name, value] of Object.entries(RECEIVER_HEADERS)) response.setHeader(name, value);
  next();
}
