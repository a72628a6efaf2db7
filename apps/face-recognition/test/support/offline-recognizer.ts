/**
 * Child process of offline.spec.ts, started in a network namespace of its own (`unshare -rnm`: only loopback, no
 * route out, /etc/resolv.conf bound to `nameserver 127.0.0.1`). Records every DNS question that reaches
 * 127.0.0.1:53 (UDP and TCP), starts a recognizer (ONNX Runtime engine, one worker), analyses one image through its
 * gRPC port, keeps it running `OFFLINE_WAIT_MS` (ONNX Runtime's telemetry looked its host up 11–37 s after start),
 * and prints `{"faces":n,"questions":[…]}`. `probe` instead only asks for `example.com`, proving the recorder hears
 * a lookup.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { parseConfig } from '@visage/config';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../../../../libs/recognizer-client/test/test-token';
import { createFaceRecognitionApp } from '../../src';
import { sleep } from '../../../../test/support/until';

/** The name asked for in a DNS message (RFC 1035 §4.1.2), from byte 12 on. */
function questionName(message: Buffer): string {
  const labels: string[] = [];
  let offset = 12;
  while (offset < message.length && message[offset] !== 0) {
    const length = message[offset];
    labels.push(message.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return labels.join('.');
}

async function recordDnsQuestions(questions: string[]): Promise<() => void> {
  const udp = createSocket('udp4');
  udp.on('message', (message) => questions.push(questionName(message)));
  await new Promise<void>((resolve) => udp.bind(53, '127.0.0.1', resolve));
  // Over TCP a message is prefixed with its 2-byte length.
  const tcp = createServer((socket) => socket.once('data', (data) => questions.push(questionName(data.subarray(2)))));
  await new Promise<void>((resolve) => tcp.listen(53, '127.0.0.1', resolve));
  return () => {
    udp.close();
    tcp.close();
  };
}

async function main(mode: string, imagesRoot: string, waitMs: number): Promise<void> {
  const questions: string[] = [];
  const stopRecording = await recordDnsQuestions(questions);
  let faces = 0;
  try {
    if (mode === 'probe') await lookup('example.com').catch(() => undefined);
    else faces = await analyseOnce(imagesRoot, waitMs);
  } finally {
    stopRecording();
  }
  process.stdout.write(`${JSON.stringify({ faces, questions })}\n`);
}

/** A recognizer as the app starts it: one image analysed through its gRPC port, then kept running `waitMs`. */
async function analyseOnce(imagesRoot: string, waitMs: number): Promise<number> {
  const config = parseConfig({
    IMAGES_ROOT: imagesRoot,
    FACE_ENGINE: 'onnx',
    RECOGNIZER_WORKERS: '1',
    LOG_LEVEL: process.env.OFFLINE_LOG_LEVEL ?? 'error',
    ...TEST_RECOGNIZER_ENV,
  });
  const app = await createFaceRecognitionApp(config);
  const ports = await app.start({ grpcPort: 0, healthPort: 0, host: '127.0.0.1' });
  const client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${ports.grpcPort}`, deadlineMs: 60_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
  try {
    await app.ready();
    const faces = (await client.analyze('face.png')).faces.length;
    await sleep(waitMs);
    return faces;
  } finally {
    client.close();
    await app.close();
  }
}

const [mode = 'recognizer', imagesRoot = '.', waitMs = '40000'] = process.argv.slice(2);
main(mode, imagesRoot, Number(waitMs)).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
