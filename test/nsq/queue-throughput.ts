/**
 * Prints how many no-op messages/s each driver moves end to end (publish → handler → FIN) on this machine.
 * Not a test: run with `npx tsx test/nsq/queue-throughput.ts [count]`.
 */
import { cpus } from 'node:os';
import { InProcessBroker, InProcessClient, InProcessServer, NsqClient, NsqServer, QueueServer, QueueServerOptions } from '@visage/queue';
import { NsqTestServer } from './nsq-test-server';
import { until } from '../support/until';

const count = Number(process.argv[2] ?? 2000);
const options: QueueServerOptions = {
  topic: 'bench',
  channel: 'bench',
  maxInFlight: 16,
  maxAttempts: 3,
  messageTimeoutMs: 60_000,
  requeueBaseDelayMs: 100,
  requeueMaxDelayMs: 1000,
};

async function measure(name: string, server: QueueServer, publish: (index: number) => Promise<void>): Promise<void> {
  let handled = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  server.addHandler(
    'bench',
    async () => {
      handled += 1;
      if (handled === count) done();
    },
    true,
  );
  await new Promise<void>((resolve) => server.listen(() => resolve()));
  await until(() => server.isConnected(), 'the consumer to connect', 60_000, 20);
  const started = process.hrtime.bigint();
  for (let offset = 0; offset < count; offset += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - offset) }, (_, i) => publish(offset + i)));
  }
  const published = process.hrtime.bigint();
  await all;
  const finished = process.hrtime.bigint();
  await server.close();
  const seconds = (to: bigint) => Number(to - started) / 1e9;
  console.log(
    `${name}: ${count} messages, publish ${(count / seconds(published)).toFixed(0)}/s, ` +
      `end to end ${(count / seconds(finished)).toFixed(0)}/s (${(seconds(finished) * 1000).toFixed(0)} ms, maxInFlight ${options.maxInFlight})`,
  );
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, node ${process.version}`);
  const broker = new InProcessBroker();
  const inProcessClient = new InProcessClient({ broker });
  await measure('in-process', new InProcessServer({ ...options, broker }), async (index) => {
    await new Promise<void>((resolve, reject) => inProcessClient.emit('bench', { imageId: index }).subscribe({ complete: resolve, error: reject }));
  });

  const nsqd = await NsqTestServer.start();
  const client = new NsqClient({ address: nsqd.tcpAddress });
  await measure('nsq (nsqjs → test nsqd)', new NsqServer({ ...options, nsqdTcpAddresses: [nsqd.tcpAddress] }), async (index) => {
    await new Promise<void>((resolve, reject) => client.emit('bench', { imageId: index }).subscribe({ complete: resolve, error: reject }));
  });
  client.close();
  await nsqd.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
