import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import {
  encodeFrame,
  encodeMessage,
  FRAME_TYPE_ERROR,
  FRAME_TYPE_MESSAGE,
  FRAME_TYPE_RESPONSE,
  HEARTBEAT,
  isValidName,
  MAGIC_V2,
} from './nsq-protocol';

/**
 * A protocol-faithful nsqd (TCP protocol V2 + the HTTP endpoints Visage touches) for tests, since no nsqd binary
 * exists on the build machines. It keeps its state across stop()/start() on the same ports the way nsqd keeps
 * unfinished messages in its disk queue, so restarts can be tested.
 *
 * Faithful where clients can observe it: framing, IDENTIFY negotiation and its limits, RDY flow control,
 * per-delivery attempts, msg_timeout redelivery, TOUCH up to max_msg_timeout, REQ/DPUB deferral clamped to
 * max_req_timeout, heartbeats with disconnection after two missed, fatal vs non-fatal error frames, CLS.
 * Not implemented: TLS, snappy/deflate, AUTH, sampling, ephemeral channel deletion, topic pausing.
 */
export interface NsqTestServerOptions {
  host?: string;
  tcpPort?: number;
  httpPort?: number;
  maxRdyCount?: number;
  defaultMsgTimeoutMs?: number;
  maxMsgTimeoutMs?: number;
  maxReqTimeoutMs?: number;
  defaultHeartbeatIntervalMs?: number;
  maxMsgSize?: number;
}

const VERSION = '1.3.0-visage-test';

interface StoredMessage {
  id: string;
  body: Buffer;
  timestampNs: bigint;
  attempts: number;
}

interface InFlight {
  message: StoredMessage;
  client: ClientConnection;
  deliveredAt: number;
  deadline: number;
  timer: NodeJS.Timeout;
}

interface Deferred {
  message: StoredMessage;
  dueAt: number;
  timer?: NodeJS.Timeout;
}

class ProtocolError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly fatal: boolean,
  ) {
    super(`${code} ${detail}`);
  }
}

class Channel {
  readonly queue: StoredMessage[] = [];
  readonly inFlight = new Map<string, InFlight>();
  readonly deferred = new Map<string, Deferred>();
  readonly clients = new Set<ClientConnection>();
  messageCount = 0;
  requeueCount = 0;
  timeoutCount = 0;
  private nextClient = 0;

  constructor(
    readonly topic: Topic,
    readonly name: string,
  ) {}

  put(message: StoredMessage): void {
    this.messageCount += 1;
    this.queue.push(message);
    this.pump();
  }

  defer(message: StoredMessage, delayMs: number): void {
    const entry: Deferred = { message, dueAt: Date.now() + delayMs };
    this.deferred.set(message.id, entry);
    this.armDeferred(entry);
  }

  armDeferred(entry: Deferred): void {
    if (!this.topic.server.running) return;
    entry.timer = setTimeout(
      () => {
        this.deferred.delete(entry.message.id);
        this.queue.push(entry.message);
        this.pump();
      },
      Math.max(0, entry.dueAt - Date.now()),
    );
  }

  /** Sends ready messages to subscribed clients in turn, each only while its in-flight count is below its RDY. */
  pump(): void {
    while (this.queue.length > 0) {
      const client = this.pickClient();
      if (!client) return;
      const message = this.queue.shift() as StoredMessage;
      message.attempts += 1;
      const now = Date.now();
      const entry: InFlight = {
        message,
        client,
        deliveredAt: now,
        deadline: now + client.msgTimeoutMs,
        timer: setTimeout(() => this.timeOut(message.id), client.msgTimeoutMs),
      };
      this.inFlight.set(message.id, entry);
      client.inFlightCount += 1;
      client.messageCount += 1;
      client.send(FRAME_TYPE_MESSAGE, encodeMessage(message.timestampNs, message.attempts, message.id, message.body));
    }
  }

  private pickClient(): ClientConnection | undefined {
    const candidates = [...this.clients];
    for (let i = 0; i < candidates.length; i += 1) {
      const client = candidates[(this.nextClient + i) % candidates.length];
      if (client.canReceive()) {
        this.nextClient = (this.nextClient + i + 1) % candidates.length;
        return client;
      }
    }
    return undefined;
  }

  private timeOut(id: string): void {
    const entry = this.inFlight.get(id);
    if (!entry) return;
    this.release(entry);
    this.timeoutCount += 1;
    this.queue.push(entry.message);
    this.pump();
  }

  private release(entry: InFlight): void {
    clearTimeout(entry.timer);
    this.inFlight.delete(entry.message.id);
    entry.client.inFlightCount -= 1;
  }

  private owned(id: string, client: ClientConnection): InFlight | undefined {
    const entry = this.inFlight.get(id);
    return entry && entry.client === client ? entry : undefined;
  }

  finish(id: string, client: ClientConnection): boolean {
    const entry = this.owned(id, client);
    if (!entry) return false;
    this.release(entry);
    client.finishCount += 1;
    this.pump();
    return true;
  }

  requeue(id: string, client: ClientConnection, delayMs: number): boolean {
    const entry = this.owned(id, client);
    if (!entry) return false;
    this.release(entry);
    this.requeueCount += 1;
    client.requeueCount += 1;
    if (delayMs > 0) this.defer(entry.message, delayMs);
    else this.queue.push(entry.message);
    this.pump();
    return true;
  }

  touch(id: string, client: ClientConnection): boolean {
    const entry = this.owned(id, client);
    if (!entry) return false;
    const now = Date.now();
    const hardLimit = entry.deliveredAt + this.topic.server.options.maxMsgTimeoutMs;
    entry.deadline = Math.min(now + client.msgTimeoutMs, hardLimit);
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.timeOut(id), Math.max(0, entry.deadline - now));
    return true;
  }

  /** Like nsqd's shutdown: unfinished in-flight messages become ready again, deferred ones keep their due time. */
  suspend(): void {
    const inFlight = [...this.inFlight.values()].sort((a, b) => a.deliveredAt - b.deliveredAt);
    for (const entry of inFlight) {
      clearTimeout(entry.timer);
      this.queue.unshift(entry.message);
    }
    this.inFlight.clear();
    for (const entry of this.deferred.values()) clearTimeout(entry.timer);
    this.clients.clear();
  }

  resume(): void {
    for (const entry of this.deferred.values()) this.armDeferred(entry);
  }

  stats() {
    return {
      channel_name: this.name,
      depth: this.queue.length,
      backend_depth: 0,
      in_flight_count: this.inFlight.size,
      deferred_count: this.deferred.size,
      message_count: this.messageCount,
      requeue_count: this.requeueCount,
      timeout_count: this.timeoutCount,
      paused: false,
      clients: [...this.clients].map((client) => client.stats()),
    };
  }
}

class Topic {
  readonly channels = new Map<string, Channel>();
  /** Messages published before any channel existed wait here, as nsqd keeps them in the topic. */
  private readonly backlog: StoredMessage[] = [];
  messageCount = 0;

  constructor(
    readonly server: NsqTestServer,
    readonly name: string,
  ) {}

  channel(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel(this, name);
      this.channels.set(name, channel);
      for (const message of this.backlog.splice(0)) channel.put(message);
    }
    return channel;
  }

  publish(body: Buffer, deferMs = 0): void {
    this.messageCount += 1;
    const id = this.server.newMessageId();
    const timestampNs = BigInt(Date.now()) * 1_000_000n;
    if (this.channels.size === 0) {
      this.backlog.push({ id, body, timestampNs, attempts: 0 });
      return;
    }
    // Every channel gets its own copy (fan-out); the id is shared as in nsqd.
    for (const channel of this.channels.values()) {
      const copy: StoredMessage = { id, body, timestampNs, attempts: 0 };
      if (deferMs > 0) {
        channel.messageCount += 1;
        channel.defer(copy, deferMs);
      } else {
        channel.put(copy);
      }
    }
  }

  stats() {
    return {
      topic_name: this.name,
      depth: this.backlog.length,
      backend_depth: 0,
      message_count: this.messageCount,
      paused: false,
      channels: [...this.channels.values()].map((channel) => channel.stats()),
    };
  }
}

type ClientState = 'init' | 'subscribed' | 'closing';

class ClientConnection {
  private buffer = Buffer.alloc(0);
  private magicSeen = false;
  state: ClientState = 'init';
  channel?: Channel;
  rdy = 0;
  inFlightCount = 0;
  messageCount = 0;
  finishCount = 0;
  requeueCount = 0;
  msgTimeoutMs: number;
  heartbeatIntervalMs: number;
  clientId = '';
  userAgent = '';
  private lastReadAt = Date.now();
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    private readonly server: NsqTestServer,
    readonly socket: Socket,
  ) {
    this.msgTimeoutMs = server.options.defaultMsgTimeoutMs;
    this.heartbeatIntervalMs = server.options.defaultHeartbeatIntervalMs;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined);
    this.startHeartbeat();
  }

  canReceive(): boolean {
    return this.state === 'subscribed' && this.inFlightCount < this.rdy && !this.socket.destroyed;
  }

  send(type: number, data: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(type, data));
  }

  stats() {
    return {
      client_id: this.clientId,
      user_agent: this.userAgent,
      state: this.state === 'subscribed' ? 3 : this.state === 'closing' ? 4 : 1,
      ready_count: this.rdy,
      in_flight_count: this.inFlightCount,
      message_count: this.messageCount,
      finish_count: this.finishCount,
      requeue_count: this.requeueCount,
      msg_timeout: this.msgTimeoutMs,
      heartbeat_interval: this.heartbeatIntervalMs,
    };
  }

  /** nsqd sends `_heartbeat_` every interval and drops a client that sent nothing for two intervals. */
  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    if (this.heartbeatIntervalMs <= 0) return;
    const tick = Math.max(10, Math.floor(this.heartbeatIntervalMs / 4));
    let lastBeat = Date.now();
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastReadAt >= 2 * this.heartbeatIntervalMs) {
        this.socket.destroy();
        return;
      }
      if (now - lastBeat >= this.heartbeatIntervalMs) {
        lastBeat = now;
        this.send(FRAME_TYPE_RESPONSE, HEARTBEAT);
      }
    }, tick);
  }

  private onClose(): void {
    clearInterval(this.heartbeatTimer);
    this.channel?.clients.delete(this);
    this.server.forget(this);
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.magicSeen) {
      if (this.buffer.length < 4) return;
      const magic = this.buffer.subarray(0, 4).toString();
      this.buffer = this.buffer.subarray(4);
      if (magic !== MAGIC_V2) {
        this.fail(new ProtocolError('E_BAD_PROTOCOL', `client sent bad protocol magic '${magic}'`, true));
        return;
      }
      this.magicSeen = true;
    }
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const line = this.buffer.subarray(0, newline).toString().replace(/\r$/, '');
      const [command, ...params] = line.split(' ');
      let body: Buffer | undefined;
      let consumed = newline + 1;
      if (['IDENTIFY', 'PUB', 'MPUB', 'DPUB', 'AUTH'].includes(command)) {
        if (this.buffer.length < consumed + 4) return;
        const size = this.buffer.readInt32BE(consumed);
        if (size <= 0 || size > this.server.options.maxMsgSize * 5) {
          this.fail(new ProtocolError('E_BAD_BODY', `${command} invalid body size ${size}`, true));
          return;
        }
        if (this.buffer.length < consumed + 4 + size) return;
        body = Buffer.from(this.buffer.subarray(consumed + 4, consumed + 4 + size));
        consumed += 4 + size;
      }
      this.buffer = this.buffer.subarray(consumed);
      try {
        this.execute(command, params, body);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.fail(error);
        if (error.fatal) return;
      }
    }
  }

  private fail(error: ProtocolError): void {
    this.send(FRAME_TYPE_ERROR, error.message);
    if (error.fatal) this.socket.end();
  }

  private ok(): void {
    this.send(FRAME_TYPE_RESPONSE, 'OK');
  }

  private requireState(command: string, ...states: ClientState[]): void {
    if (!states.includes(this.state)) throw new ProtocolError('E_INVALID', `cannot ${command} in current state`, true);
  }

  private topicParam(command: string, name: string | undefined): Topic {
    if (!name || !isValidName(name)) {
      throw new ProtocolError('E_BAD_TOPIC', `${command} topic name "${name ?? ''}" is not valid`, true);
    }
    return this.server.topic(name);
  }

  private execute(command: string, params: string[], body: Buffer | undefined): void {
    switch (command) {
      case 'IDENTIFY':
        return this.identify(body as Buffer);
      case 'SUB':
        return this.subscribe(params);
      case 'RDY':
        return this.ready(params);
      case 'FIN':
        return this.finish(params);
      case 'REQ':
        return this.requeue(params);
      case 'TOUCH':
        return this.touch(params);
      case 'PUB':
        return this.publish(params, body as Buffer);
      case 'MPUB':
        return this.multiPublish(params, body as Buffer);
      case 'DPUB':
        return this.deferredPublish(params, body as Buffer);
      case 'NOP':
        return;
      case 'CLS':
        this.requireState('CLS', 'subscribed');
        this.state = 'closing';
        this.send(FRAME_TYPE_RESPONSE, 'CLOSE_WAIT');
        return;
      case 'AUTH':
        throw new ProtocolError('E_AUTH_DISABLED', 'AUTH disabled', true);
      default:
        throw new ProtocolError('E_INVALID', `invalid command ${command}`, true);
    }
  }

  private identify(body: Buffer): void {
    this.requireState('IDENTIFY', 'init');
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body.toString()) as Record<string, unknown>;
    } catch {
      throw new ProtocolError('E_BAD_BODY', 'IDENTIFY failed to decode JSON body', true);
    }
    const { options } = this.server;
    const heartbeat = typeof request.heartbeat_interval === 'number' ? request.heartbeat_interval : 0;
    if (heartbeat === -1) this.heartbeatIntervalMs = 0;
    else if (heartbeat === 0) this.heartbeatIntervalMs = options.defaultHeartbeatIntervalMs;
    else if (heartbeat < 1000 || heartbeat > 60_000) {
      throw new ProtocolError('E_BAD_BODY', `IDENTIFY heartbeat interval (${heartbeat}) is invalid`, true);
    } else this.heartbeatIntervalMs = heartbeat;
    const msgTimeout = typeof request.msg_timeout === 'number' ? request.msg_timeout : 0;
    if (msgTimeout !== 0 && (msgTimeout < 1000 || msgTimeout > options.maxMsgTimeoutMs)) {
      throw new ProtocolError('E_BAD_BODY', `IDENTIFY msg timeout (${msgTimeout}) is invalid`, true);
    }
    this.msgTimeoutMs = msgTimeout || options.defaultMsgTimeoutMs;
    this.clientId = typeof request.client_id === 'string' ? request.client_id : '';
    this.userAgent = typeof request.user_agent === 'string' ? request.user_agent : '';
    this.startHeartbeat();
    if (request.feature_negotiation !== true) {
      this.ok();
      return;
    }
    this.send(
      FRAME_TYPE_RESPONSE,
      JSON.stringify({
        max_rdy_count: options.maxRdyCount,
        version: VERSION,
        max_msg_timeout: options.maxMsgTimeoutMs,
        msg_timeout: this.msgTimeoutMs,
        tls_v1: false,
        deflate: false,
        deflate_level: 0,
        max_deflate_level: 6,
        snappy: false,
        sample_rate: 0,
        auth_required: false,
        output_buffer_size: 16384,
        output_buffer_timeout: 250,
      }),
    );
  }

  private subscribe(params: string[]): void {
    this.requireState('SUB', 'init');
    if (params.length < 2) throw new ProtocolError('E_INVALID', 'SUB insufficient number of parameters', true);
    const [topicName, channelName] = params;
    const topic = this.topicParam('SUB', topicName);
    if (!isValidName(channelName)) {
      throw new ProtocolError('E_BAD_CHANNEL', `SUB channel name "${channelName}" is not valid`, true);
    }
    this.channel = topic.channel(channelName);
    this.channel.clients.add(this);
    this.state = 'subscribed';
    this.ok();
  }

  private ready(params: string[]): void {
    if (this.state === 'closing') return;
    this.requireState('RDY', 'subscribed');
    const count = Number(params[0] ?? 1);
    if (!Number.isInteger(count) || count < 0 || count > this.server.options.maxRdyCount) {
      throw new ProtocolError('E_INVALID', `RDY count ${params[0]} out of range 0-${this.server.options.maxRdyCount}`, true);
    }
    this.rdy = count;
    this.channel?.pump();
  }

  private messageId(command: string, params: string[]): string {
    const id = params[0];
    if (!id || id.length !== 16) throw new ProtocolError('E_INVALID', `${command} invalid message ID`, true);
    return id;
  }

  private finish(params: string[]): void {
    this.requireState('FIN', 'subscribed', 'closing');
    const id = this.messageId('FIN', params);
    if (!this.channel?.finish(id, this)) {
      throw new ProtocolError('E_FIN_FAILED', `FIN ${id} failed ID not in flight`, false);
    }
  }

  private requeue(params: string[]): void {
    this.requireState('REQ', 'subscribed', 'closing');
    const id = this.messageId('REQ', params);
    const timeout = Number(params[1]);
    if (!Number.isInteger(timeout)) throw new ProtocolError('E_INVALID', `REQ could not parse timeout ${params[1]}`, true);
    // nsqd clamps an out-of-range REQ timeout instead of refusing it.
    const delay = Math.min(Math.max(timeout, 0), this.server.options.maxReqTimeoutMs);
    if (!this.channel?.requeue(id, this, delay)) {
      throw new ProtocolError('E_REQ_FAILED', `REQ ${id} failed ID not in flight`, false);
    }
  }

  private touch(params: string[]): void {
    this.requireState('TOUCH', 'subscribed', 'closing');
    const id = this.messageId('TOUCH', params);
    if (!this.channel?.touch(id, this)) {
      throw new ProtocolError('E_TOUCH_FAILED', `TOUCH ${id} failed ID not in flight`, false);
    }
  }

  private checkMessage(command: string, message: Buffer): void {
    if (message.length === 0) throw new ProtocolError('E_BAD_MESSAGE', `${command} invalid message body size 0`, true);
    if (message.length > this.server.options.maxMsgSize) {
      throw new ProtocolError('E_BAD_MESSAGE', `${command} message too big ${message.length} > ${this.server.options.maxMsgSize}`, true);
    }
  }

  private publish(params: string[], body: Buffer): void {
    const topic = this.topicParam('PUB', params[0]);
    this.checkMessage('PUB', body);
    topic.publish(body);
    this.ok();
  }

  private multiPublish(params: string[], body: Buffer): void {
    const topic = this.topicParam('MPUB', params[0]);
    const messages = parseMpubBody(body);
    if (!messages) throw new ProtocolError('E_BAD_BODY', 'MPUB failed to read message bodies', true);
    for (const message of messages) this.checkMessage('MPUB', message);
    for (const message of messages) topic.publish(message);
    this.ok();
  }

  private deferredPublish(params: string[], body: Buffer): void {
    const topic = this.topicParam('DPUB', params[0]);
    const delay = Number(params[1]);
    if (!Number.isInteger(delay) || delay < 0 || delay > this.server.options.maxReqTimeoutMs) {
      throw new ProtocolError('E_INVALID', `DPUB timeout ${params[1]} out of range 0-${this.server.options.maxReqTimeoutMs}`, true);
    }
    this.checkMessage('DPUB', body);
    topic.publish(body, delay);
    this.ok();
  }
}

function parseMpubBody(body: Buffer): Buffer[] | undefined {
  if (body.length < 4) return undefined;
  const count = body.readInt32BE(0);
  if (count <= 0) return undefined;
  const messages: Buffer[] = [];
  let offset = 4;
  for (let i = 0; i < count; i += 1) {
    if (offset + 4 > body.length) return undefined;
    const size = body.readInt32BE(offset);
    offset += 4;
    if (size < 0 || offset + size > body.length) return undefined;
    messages.push(Buffer.from(body.subarray(offset, offset + size)));
    offset += size;
  }
  return offset === body.length ? messages : undefined;
}

export type NsqdStats = ReturnType<Topic['stats']>[];

export class NsqTestServer {
  readonly options: Required<NsqTestServerOptions>;
  private readonly topics = new Map<string, Topic>();
  private readonly clients = new Set<ClientConnection>();
  private tcpServer?: TcpServer;
  private httpServer?: HttpServer;
  private messageSeq = 0;
  private readonly idPrefix = randomBytes(3).toString('hex');
  running = false;

  private constructor(options: NsqTestServerOptions) {
    this.options = {
      host: '127.0.0.1',
      tcpPort: 0,
      httpPort: 0,
      maxRdyCount: 2500,
      defaultMsgTimeoutMs: 60_000,
      maxMsgTimeoutMs: 15 * 60_000,
      maxReqTimeoutMs: 60 * 60_000,
      defaultHeartbeatIntervalMs: 30_000,
      maxMsgSize: 1024 * 1024,
      ...options,
    };
  }

  static async start(options: NsqTestServerOptions = {}): Promise<NsqTestServer> {
    const server = new NsqTestServer(options);
    await server.start();
    return server;
  }

  get tcpAddress(): string {
    return `${this.options.host}:${this.options.tcpPort}`;
  }

  get httpAddress(): string {
    return `${this.options.host}:${this.options.httpPort}`;
  }

  /** Listens again on the same ports after stop(), with the messages that were not finished. */
  async start(): Promise<void> {
    if (this.running) return;
    const tcp = createTcpServer((socket) => {
      socket.setNoDelay(true);
      this.clients.add(new ClientConnection(this, socket));
    });
    const http = createHttpServer((request, response) => this.handleHttp(request, response));
    this.options.tcpPort = await listen(tcp, this.options.host, this.options.tcpPort);
    this.options.httpPort = await listen(http, this.options.host, this.options.httpPort);
    this.tcpServer = tcp;
    this.httpServer = http;
    this.running = true;
    for (const topic of this.topics.values()) for (const channel of topic.channels.values()) channel.resume();
  }

  /** Drops every connection like a killed nsqd; unfinished messages survive for the next start(). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const topic of this.topics.values()) for (const channel of topic.channels.values()) channel.suspend();
    for (const client of this.clients) client.socket.destroy();
    this.clients.clear();
    await Promise.all([closeServer(this.tcpServer), closeServer(this.httpServer)]);
    this.httpServer?.closeAllConnections();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  forget(client: ClientConnection): void {
    this.clients.delete(client);
  }

  topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = new Topic(this, name);
      this.topics.set(name, topic);
    }
    return topic;
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  newMessageId(): string {
    this.messageSeq += 1;
    return `${this.idPrefix}${this.messageSeq.toString(16).padStart(10, '0')}`;
  }

  stats(): NsqdStats {
    return [...this.topics.values()].map((topic) => topic.stats());
  }

  channelStats(topic: string, channel: string) {
    return this.topics.get(topic)?.channels.get(channel)?.stats();
  }

  private handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://nsqd');
    const reply = (status: number, body: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      response.end(text);
    };
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      switch (url.pathname) {
        case '/ping':
          return reply(200, 'OK');
        case '/stats':
          return reply(200, { version: VERSION, health: 'OK', start_time: 0, topics: this.stats(), producers: [] });
        case '/pub':
        case '/mpub': {
          if (request.method !== 'POST') return reply(405, { message: 'METHOD_NOT_ALLOWED' });
          const topicName = url.searchParams.get('topic');
          if (!topicName) return reply(400, { message: 'MISSING_ARG_TOPIC' });
          if (!isValidName(topicName)) return reply(400, { message: 'INVALID_TOPIC' });
          const messages =
            url.pathname === '/pub'
              ? [body]
              : url.searchParams.get('binary') === 'true'
                ? (parseMpubBody(body) ?? [])
                : body
                    .toString()
                    .split('\n')
                    .filter((line) => line.length > 0)
                    .map((line) => Buffer.from(line));
          if (messages.length === 0 || messages.some((message) => message.length === 0)) {
            return reply(400, { message: 'MSG_EMPTY' });
          }
          const defer = Number(url.searchParams.get('defer') ?? 0);
          const topic = this.topic(topicName);
          for (const message of messages) topic.publish(message, url.pathname === '/pub' ? defer : 0);
          return reply(200, 'OK');
        }
        case '/topic/create':
        case '/channel/create': {
          // nsqd 1.x registers these routes for POST only; creating what exists is a no-op that answers 200.
          if (request.method !== 'POST') return reply(405, { message: 'METHOD_NOT_ALLOWED' });
          const topicName = url.searchParams.get('topic');
          if (!topicName) return reply(400, { message: 'MISSING_ARG_TOPIC' });
          // nsqd answers INVALID_TOPIC here but INVALID_ARG_TOPIC for /channel/create (its shared argument parser).
          if (!isValidName(topicName)) return reply(400, { message: url.pathname === '/topic/create' ? 'INVALID_TOPIC' : 'INVALID_ARG_TOPIC' });
          if (url.pathname === '/topic/create') {
            this.topic(topicName);
            return reply(200, '');
          }
          const channelName = url.searchParams.get('channel');
          if (!channelName) return reply(400, { message: 'MISSING_ARG_CHANNEL' });
          if (!isValidName(channelName)) return reply(400, { message: 'INVALID_ARG_CHANNEL' });
          // As in nsqd, creating a channel creates its topic too; messages waiting in the topic move into it.
          this.topic(topicName).channel(channelName);
          return reply(200, '');
        }
        default:
          return reply(404, { message: 'NOT_FOUND' });
      }
    });
  }
}

/**
 * nsqlookupd's HTTP side: `/lookup?topic=` lists the running nsqd instances that have the topic, in the
 * nsq 1.x shape (`{channels, producers}`), and 404 `TOPIC_NOT_FOUND` otherwise.
 */
export class NsqLookupdTestServer {
  private server?: HttpServer;
  private port = 0;
  private readonly nodes: NsqTestServer[] = [];

  constructor(private readonly host = '127.0.0.1') {}

  static async start(nodes: NsqTestServer[] = []): Promise<NsqLookupdTestServer> {
    const lookupd = new NsqLookupdTestServer();
    nodes.forEach((node) => lookupd.register(node));
    await lookupd.start();
    return lookupd;
  }

  get httpAddress(): string {
    return `${this.host}:${this.port}`;
  }

  register(node: NsqTestServer): void {
    this.nodes.push(node);
  }

  async start(): Promise<void> {
    const server = createHttpServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://lookupd');
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (url.pathname === '/ping') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('OK');
        return;
      }
      if (url.pathname !== '/lookup') return reply(404, { message: 'NOT_FOUND' });
      const topic = url.searchParams.get('topic');
      if (!topic) return reply(400, { message: 'MISSING_ARG_TOPIC' });
      const producers = this.nodes.filter((node) => node.running && node.hasTopic(topic));
      if (producers.length === 0) return reply(404, { message: 'TOPIC_NOT_FOUND' });
      return reply(200, {
        channels: [],
        producers: producers.map((node) => ({
          remote_address: `${node.options.host}:${node.options.tcpPort}`,
          hostname: 'localhost',
          broadcast_address: node.options.host,
          tcp_port: node.options.tcpPort,
          http_port: node.options.httpPort,
          version: VERSION,
        })),
      });
    });
    this.port = await listen(server, this.host, this.port);
    this.server = server;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    this.server?.closeAllConnections();
    this.server = undefined;
  }
}

function listen(server: TcpServer | HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: TcpServer | HttpServer | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server || !server.listening) return resolve();
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close(() => resolve());
  });
}
