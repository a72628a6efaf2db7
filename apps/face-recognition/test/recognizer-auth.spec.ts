/**
 * The recognizer hands out biometric descriptors, so it answers only callers with RECOGNIZER_TOKEN (and, with
 * GRPC_TLS_*, only over TLS, with a client certificate when a CA is set). The health service stays open for probes.
 * None of these checks needs the models: the token is checked before the request is looked at.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '@visage/config';
import { FaceAnalysisError } from '@visage/domain';
import { GrpcFaceAnalyzer, RecognizerCredentials } from '@visage/recognizer-client';
import { TEST_RECOGNIZER_TOKEN } from '../../../libs/recognizer-client/test/test-token';
import { ORT_TELEMETRY_SWITCH } from '@visage/onnx-graph';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../src';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    if (error instanceof FaceAnalysisError) return error.code ?? 'UNKNOWN';
    throw error;
  }
}

function clientOf(port: number, credentials: RecognizerCredentials): GrpcFaceAnalyzer {
  return new GrpcFaceAnalyzer({ address: `localhost:${port}`, deadlineMs: 5_000, credentials });
}

/** Health asked directly, so "NOT_SERVING" (reached the service) is told apart from a refused connection. */
function healthStatus(port: number): Promise<string> {
  const client = new grpc.Client(`localhost:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (value: Buffer) => value,
      (bytes: Buffer) => bytes,
      Buffer.alloc(0),
      { deadline: Date.now() + 5_000 },
      (error, response) => {
        client.close();
        resolve(error ? grpc.status[error.code] : `answered ${response?.length ?? 0} bytes`);
      },
    );
  });
}

describe('recognizer authentication (plaintext, default BIND_HOST)', () => {
  let app: FaceRecognitionApp;
  let grpcPort: number;
  let healthAddress: string;

  let telemetrySwitchBeforeStart: string | undefined;

  beforeAll(async () => {
    delete process.env[ORT_TELEMETRY_SWITCH];
    app = await createFaceRecognitionApp(parseConfig({ RECOGNIZER_WORKERS: '1', LOG_LEVEL: 'warn', RECOGNIZER_TOKEN: TEST_RECOGNIZER_TOKEN }));
    telemetrySwitchBeforeStart = process.env[ORT_TELEMETRY_SWITCH];
    const ports = await app.start({ grpcPort: 0, healthPort: 0 });
    grpcPort = ports.grpcPort;
    healthAddress = (app.nest.getHttpServer().address() as { address: string }).address;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('switches ONNX Runtime telemetry off before its workers (and so any session) exist', () => {
    expect(telemetrySwitchBeforeStart).toBe('1');
  });

  it('listens on loopback unless BIND_HOST says otherwise', () => {
    expect(parseConfig({}).BIND_HOST).toBe('127.0.0.1');
    expect(healthAddress).toBe('127.0.0.1');
  });

  it('answers UNAUTHENTICATED without the token or with a wrong one, and logs the refusal without the token', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const wrongToken = 'a-wrong-token-of-the-right-length-0123456789';
    const missing = clientOf(grpcPort, { token: undefined });
    const wrong = clientOf(grpcPort, { token: wrongToken });
    const prefix = clientOf(grpcPort, { token: TEST_RECOGNIZER_TOKEN.slice(0, -1) });
    try {
      expect(await codeOf(missing.analyze('known/alice.png'))).toBe('UNAUTHENTICATED');
      expect(await codeOf(wrong.analyze('known/alice.png'))).toBe('UNAUTHENTICATED');
      expect(await codeOf(prefix.analyze('known/alice.png'))).toBe('UNAUTHENTICATED');
      const refusals = warn.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('refused an AnalyzeImage call'));
      expect(refusals).toHaveLength(3);
      expect(refusals.join('\n')).not.toContain(wrongToken);
      expect(refusals.join('\n')).not.toContain(TEST_RECOGNIZER_TOKEN.slice(0, 16));
    } finally {
      warn.mockRestore();
      missing.close();
      wrong.close();
      prefix.close();
    }
  });

  it('lets the right token through to the analysis, and keeps the health service open without one', async () => {
    const client = clientOf(grpcPort, { token: TEST_RECOGNIZER_TOKEN });
    try {
      expect(await codeOf(client.analyze('no-such-file.jpg'))).not.toBe('UNAUTHENTICATED');
    } finally {
      client.close();
    }
    expect(await healthStatus(grpcPort)).toMatch(/^answered/);
  });

  it('does not start without a token', async () => {
    const tokenless = await createFaceRecognitionApp(parseConfig({ RECOGNIZER_WORKERS: '1', LOG_LEVEL: 'error' }));
    try {
      await expect(tokenless.start({ grpcPort: 0, healthPort: 0 })).rejects.toThrow(/RECOGNIZER_TOKEN: required/);
    } finally {
      await tokenless.close();
    }
  });
});

describe('recognizer over mutual TLS (GRPC_TLS_CERT/KEY/CA)', () => {
  let dir: string;
  let app: FaceRecognitionApp;
  let grpcPort: number;
  let files: { ca: string; cert: string; key: string; otherCert: string; otherKey: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'visage-grpc-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    const path = (name: string) => join(dir, name);
    // A CA, a localhost certificate it signs (server and client share it, as the apps share the env), and a stranger.
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=visage-test-ca');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=localhost');
    const extensions = path('san.ext');
    execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost\\n' > ${extensions}`]);
    openssl(
      'x509',
      '-req',
      '-in',
      'node.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'node.pem',
      '-days',
      '1',
      '-extfile',
      extensions,
    );
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '1', '-subj', '/CN=localhost');
    files = { ca: path('ca.pem'), cert: path('node.pem'), key: path('node.key'), otherCert: path('other.pem'), otherKey: path('other.key') };
    app = await createFaceRecognitionApp(
      parseConfig({
        RECOGNIZER_WORKERS: '1',
        LOG_LEVEL: 'error',
        RECOGNIZER_TOKEN: TEST_RECOGNIZER_TOKEN,
        GRPC_TLS_CERT: files.cert,
        GRPC_TLS_KEY: files.key,
        GRPC_TLS_CA: files.ca,
      }),
    );
    grpcPort = (await app.start({ grpcPort: 0, healthPort: 0 })).grpcPort;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a client with a certificate the CA signed and the token', async () => {
    const client = clientOf(grpcPort, { token: TEST_RECOGNIZER_TOKEN, tls: { cert: files.cert, key: files.key, ca: files.ca } });
    try {
      expect(await codeOf(client.analyze('no-such-file.jpg'))).not.toMatch(/UNAUTHENTICATED|UNAVAILABLE/);
    } finally {
      client.close();
    }
  });

  it('refuses a plaintext client, one with a certificate the CA did not sign, and a signed one without the token', async () => {
    const plaintext = clientOf(grpcPort, { token: TEST_RECOGNIZER_TOKEN });
    const stranger = clientOf(grpcPort, { token: TEST_RECOGNIZER_TOKEN, tls: { cert: files.otherCert, key: files.otherKey, ca: files.ca } });
    const tokenless = clientOf(grpcPort, { token: undefined, tls: { cert: files.cert, key: files.key, ca: files.ca } });
    try {
      expect(await codeOf(plaintext.analyze('no-such-file.jpg'))).toBe('UNAVAILABLE');
      expect(await codeOf(stranger.analyze('no-such-file.jpg'))).toBe('UNAVAILABLE');
      expect(await codeOf(tokenless.analyze('no-such-file.jpg'))).toBe('UNAUTHENTICATED');
    } finally {
      plaintext.close();
      stranger.close();
      tokenless.close();
    }
  });
});
