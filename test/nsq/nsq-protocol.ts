/**
 * Wire-level pieces of the NSQ TCP protocol V2 (https://nsq.io/clients/tcp_protocol_spec.html), shared by the
 * test server and the raw-socket conformance tests.
 */
export const MAGIC_V2 = '  V2';

export const FRAME_TYPE_RESPONSE = 0;
export const FRAME_TYPE_ERROR = 1;
export const FRAME_TYPE_MESSAGE = 2;

export const HEARTBEAT = '_heartbeat_';

/** `^[.a-zA-Z0-9_-]+(#ephemeral)?$`, 1..64 characters, as nsqd validates topic and channel names. */
export function isValidName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && /^[.a-zA-Z0-9_-]+(#ephemeral)?$/.test(name);
}

/** `[size: int32][frame type: int32][data]`, size counting the frame type and the data. */
export function encodeFrame(type: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const header = Buffer.alloc(8);
  header.writeInt32BE(payload.length + 4, 0);
  header.writeInt32BE(type, 4);
  return Buffer.concat([header, payload]);
}

/** Message frame data: `[timestamp ns: int64][attempts: uint16][id: 16 bytes][body]`. */
export function encodeMessage(timestampNs: bigint, attempts: number, id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(26);
  header.writeBigInt64BE(timestampNs, 0);
  header.writeUInt16BE(attempts, 8);
  header.write(id, 10, 16, 'ascii');
  return Buffer.concat([header, body]);
}

export interface DecodedFrame {
  type: number;
  data: Buffer;
}

export interface DecodedMessage {
  timestampNs: bigint;
  attempts: number;
  id: string;
  body: Buffer;
}

export function decodeMessage(data: Buffer): DecodedMessage {
  return {
    timestampNs: data.readBigInt64BE(0),
    attempts: data.readUInt16BE(8),
    id: data.subarray(10, 26).toString('ascii'),
    body: data.subarray(26),
  };
}

/** Splits a byte stream into frames; keeps an incomplete tail for the next chunk. */
export class FrameReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): DecodedFrame[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: DecodedFrame[] = [];
    while (this.buffer.length >= 4) {
      const size = this.buffer.readInt32BE(0);
      if (this.buffer.length < 4 + size) break;
      frames.push({ type: this.buffer.readInt32BE(4), data: this.buffer.subarray(8, 4 + size) });
      this.buffer = this.buffer.subarray(4 + size);
    }
    return frames;
  }
}

/** `COMMAND params\n` optionally followed by `[size: int32][body]`. */
export function encodeCommand(line: string, body?: Buffer | string): Buffer {
  const parts: Buffer[] = [Buffer.from(`${line}\n`)];
  if (body !== undefined) {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length, 0);
    parts.push(size, payload);
  }
  return Buffer.concat(parts);
}

/** MPUB body: `[count: int32]([size: int32][message])*`. */
export function encodeMpubBody(messages: Array<Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeInt32BE(messages.length, 0);
  parts.push(count);
  for (const message of messages) {
    const payload = typeof message === 'string' ? Buffer.from(message) : message;
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length, 0);
    parts.push(size, payload);
  }
  return Buffer.concat(parts);
}
