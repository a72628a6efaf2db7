import { Writer } from 'nsqjs';
import { QueueError } from '../queue-error';

export interface NsqPublisherOptions {
  /** `host:port` of the local nsqd's TCP listener. */
  address: string;
  /** How long a publish waits for the connection before failing. */
  connectTimeoutMs?: number;
  heartbeatIntervalSec?: number;
}

export function splitAddress(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  const port = Number(address.slice(index + 1));
  if (index <= 0 || !Number.isInteger(port) || port <= 0) throw new RangeError(`not a host:port address: ${address}`);
  return { host: address.slice(0, index).replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * A publisher to one nsqd. nsqjs' Writer does not reconnect, so this keeps one Writer while it is healthy and
 * builds a new one on the next publish after it closed (nsqd restart).
 */
export class NsqPublisher {
  private writer?: Writer;
  private connecting?: Promise<Writer>;
  private closed = false;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly options: NsqPublisherOptions) {
    ({ host: this.host, port: this.port } = splitAddress(options.address));
  }

  get address(): string {
    return this.options.address;
  }

  isConnected(): boolean {
    return this.writer?.ready === true;
  }

  connect(): Promise<Writer> {
    if (this.closed) return Promise.reject(new QueueError('publisher_closed', 'publisher is closed'));
    if (this.writer?.ready) return Promise.resolve(this.writer);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<Writer> {
    const writer = new Writer(this.host, this.port, { heartbeatInterval: this.options.heartbeatIntervalSec ?? 30 });
    const timeoutMs = this.options.connectTimeoutMs ?? 5_000;
    return new Promise<Writer>((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        if (this.writer === writer) this.writer = undefined;
        reject(new QueueError('publish_failed', `nsqd ${this.address}: ${reason}`));
      };
      const timer = setTimeout(() => {
        fail(`no connection within ${timeoutMs} ms`);
        writer.close();
      }, timeoutMs);
      writer.on('ready', () => {
        clearTimeout(timer);
        if (this.closed) {
          writer.close();
          reject(new QueueError('publisher_closed', 'publisher is closed'));
          return;
        }
        this.writer = writer;
        resolve(writer);
      });
      writer.on('error', (error) => fail(error.message));
      writer.on('closed', () => fail('connection closed'));
      writer.connect();
    });
  }

  async publish(topic: string, body: string | Buffer): Promise<void> {
    await this.withRetry((writer, done) => writer.publish(topic, body, done));
  }

  /** DPUB: nsqd holds the message for delayMs before it becomes ready on every channel. */
  async deferPublish(topic: string, body: string | Buffer, delayMs: number): Promise<void> {
    if (delayMs <= 0) return this.publish(topic, body);
    // nsqjs 0.13's deferPublish hands its argument to produceMessages, which only accepts an array.
    await this.withRetry((writer, done) => writer.deferPublish(topic, [body], Math.round(delayMs), done));
  }

  /**
   * A Writer learns that nsqd went away only when its socket closes; a publish in that window fails with
   * "connection closed". Retrying once on a fresh connection covers an nsqd restart; a duplicate is possible
   * if the first PUB landed, which at-least-once delivery allows.
   */
  private async withRetry(send: (writer: Writer, done: (error?: Error | null) => void) => void): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const writer = await this.connect();
      try {
        await new Promise<void>((resolve, reject) =>
          send(writer, (error) => (error ? reject(new QueueError('publish_failed', error.message)) : resolve())),
        );
        return;
      } catch (error) {
        if (this.writer === writer) this.writer = undefined;
        if (attempt >= 2 || this.closed) throw error;
      }
    }
  }

  close(): void {
    this.closed = true;
    const writer = this.writer;
    this.writer = undefined;
    if (writer?.ready) writer.close();
  }
}
