/**
 * Proxies whose X-Forwarded-For is believed (Express `trust proxy`): loopback and private networks, where an
 * ingress or compose's network sits. The client address counts failed authentications; TLS is seen through
 * X-Forwarded-Proto (the dashboard's Secure cookie).
 */
export const TRUSTED_PROXIES = 'loopback, linklocal, uniquelocal';
