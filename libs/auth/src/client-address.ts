import type { VisageConfig } from '@visage/config';

/**
 * Express's `trust proxy` from TRUSTED_PROXIES: only those hops' X-Forwarded-For (the client address failed
 * authentications count against) and X-Forwarded-Proto (the dashboard's Secure cookie) are believed. None by
 * default: trusting every private address let anyone on the network rotate X-Forwarded-For past the limiter,
 * or forge a victim's address to lock it out.
 */
export function trustProxySetting(config: Pick<VisageConfig, 'TRUSTED_PROXIES'>): string[] | false {
  return config.TRUSTED_PROXIES.length > 0 ? [...config.TRUSTED_PROXIES] : false;
}

/** The address failed authentications and anonymous submissions are counted against (behind a trusted proxy: X-Forwarded-For). */
export function clientAddress(request: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return request.ip ?? request.socket?.remoteAddress ?? 'unknown';
}
