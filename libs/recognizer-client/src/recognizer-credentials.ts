import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { VisageConfig } from '@visage/config';

/** Metadata key of the recognizer token: `authorization: Bearer <RECOGNIZER_TOKEN>` on every analysis call. */
export const RECOGNIZER_AUTH_METADATA_KEY = 'authorization';

/** What a recognizer client and server need to trust each other: the shared token and, optionally, TLS files. */
export interface RecognizerCredentials {
  /** RECOGNIZER_TOKEN; undefined sends no token (the recognizer then answers UNAUTHENTICATED). */
  token: string | undefined;
  /** PEM paths; TLS is on when `cert` (and `key`) are set, mutual when `ca` is also set. */
  tls?: { cert: string; key: string; ca?: string };
}

export function recognizerCredentialsFrom(
  config: Pick<VisageConfig, 'RECOGNIZER_TOKEN' | 'GRPC_TLS_CERT' | 'GRPC_TLS_KEY' | 'GRPC_TLS_CA'>,
): RecognizerCredentials {
  const { RECOGNIZER_TOKEN: token, GRPC_TLS_CERT: cert, GRPC_TLS_KEY: key, GRPC_TLS_CA: ca } = config;
  return { token, ...(cert && key ? { tls: { cert, key, ...(ca ? { ca } : {}) } } : {}) };
}

/** Adds the token to a call's metadata. */
export function attachRecognizerToken(metadata: grpc.Metadata, token: string | undefined): grpc.Metadata {
  if (token) metadata.set(RECOGNIZER_AUTH_METADATA_KEY, `Bearer ${token}`);
  return metadata;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a call's metadata carries the expected token. Both sides are hashed first, so the comparison is
 * constant-time whatever the lengths (timingSafeEqual alone would throw, and leak, on a length mismatch).
 */
export function carriesRecognizerToken(metadata: grpc.Metadata, expected: string): boolean {
  const [given] = metadata.get(RECOGNIZER_AUTH_METADATA_KEY);
  const presented = typeof given === 'string' && given.startsWith('Bearer ') ? given.slice('Bearer '.length) : '';
  const matches = timingSafeEqual(digest(presented), digest(expected));
  return matches && presented.length > 0;
}

const readPem = (path: string) => readFileSync(path);

/** The recognizer's server credentials: TLS with the certificate (client certificates required when a CA is set). */
export function recognizerServerCredentials(credentials: RecognizerCredentials): grpc.ServerCredentials {
  const { tls } = credentials;
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.ca ? readPem(tls.ca) : null,
    [{ cert_chain: readPem(tls.cert), private_key: readPem(tls.key) }],
    Boolean(tls.ca),
  );
}

/** A client's channel credentials: TLS verified with the CA (or the system roots), presenting its certificate. */
export function recognizerChannelCredentials(credentials: RecognizerCredentials): grpc.ChannelCredentials {
  const { tls } = credentials;
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca ? readPem(tls.ca) : null, readPem(tls.key), readPem(tls.cert));
}
