/**
 * Proxies whose X-Forwarded-For is believed (Express `trust proxy`): loopback and private networks, where an
 * ingress or compose's network sits. The client address counts failed authentications; TLS is seen through
 * X-Forwarded-Proto (the dashboard's Secure cookie).
 */
export const TRUSTED_PROXIES = 'loopback, linklocal, uniquelocal';

/** The address failed authentications and anonymous submissions are counted against (behind a trusted proxy: X-Forwarded-For). */
export function clientAddress(request: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return request.ip ?? request.socket?.remoteAddress ?? 'unknown';
}
