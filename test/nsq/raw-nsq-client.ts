import { connect, Socket } from 'node:net';
import {
  decodeMessage,
  DecodedFrame,
  DecodedMessage,
  encodeCommand,
  FRAME_TYPE_ERROR,
  FRAME_TYPE_MESSAGE,
  FRAME_TYPE_RESPONSE,
  FrameReader,
  HEARTBEAT,
  MAGIC_V2,
} from './nsq-protocol';
import { until } from '../support/until';

/** A bare-socket NSQ client for conformance tests: writes raw commands and collects decoded frames. */
export class RawNsqClient {
  readonly frames: DecodedFrame[] = [];
  closed = false;
  answerHeartbeats = true;
  private readonly reader = new FrameReader();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.reader.push(chunk)) {
        if (frame.type === FRAME_TYPE_RESPONSE && frame.data.toString() === HEARTBEAT) {
          this.heartbeats += 1;
          if (this.answerHeartbeats) socket.write(encodeCommand('NOP'));
          continue;
        }
        this.frames.push(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  heartbeats = 0;

  static async connect(address: string, magic = MAGIC_V2): Promise<RawNsqClient> {
    const [host, port] = address.split(':');
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port: Number(port) }, () => resolve(s));
      s.once('error', reject);
    });
    socket.write(magic);
    return new RawNsqClient(socket);
  }

  send(line: string, body?: Buffer | string): void {
    this.socket.write(encodeCommand(line, body));
  }

  identify(body: Record<string, unknown>): void {
    this.send('IDENTIFY', JSON.stringify(body));
  }

  /** Removes and returns the first frame matching `predicate`, waiting for it. */
  async next(predicate: (frame: DecodedFrame) => boolean = () => true, timeoutMs = 10_000): Promise<DecodedFrame> {
    return until(
      () => {
        const index = this.frames.findIndex(predicate);
        return index >= 0 ? this.frames.splice(index, 1)[0] : undefined;
      },
      'a frame',
      timeoutMs,
      5,
    );
  }

  async response(timeoutMs?: number): Promise<string> {
    return (await this.next((frame) => frame.type === FRAME_TYPE_RESPONSE, timeoutMs)).data.toString();
  }

  async error(timeoutMs?: number): Promise<string> {
    return (await this.next((frame) => frame.type === FRAME_TYPE_ERROR, timeoutMs)).data.toString();
  }

  async message(timeoutMs?: number): Promise<DecodedMessage> {
    return decodeMessage((await this.next((frame) => frame.type === FRAME_TYPE_MESSAGE, timeoutMs)).data);
  }

  messagesReceived(): number {
    return this.frames.filter((frame) => frame.type === FRAME_TYPE_MESSAGE).length;
  }

  /** IDENTIFY (feature negotiation) + SUB, answering both. */
  async subscribe(topic: string, channel: string, identify: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.identify({ feature_negotiation: true, ...identify });
    const negotiated = JSON.parse(await this.response()) as Record<string, unknown>;
    this.send(`SUB ${topic} ${channel}`);
    const ok = await this.response();
    if (ok !== 'OK') throw new Error(`SUB answered ${ok}`);
    return negotiated;
  }

  close(): void {
    this.socket.destroy();
  }
}
