import { ClientProxy, CustomTransportStrategy, ReadPacket, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { DESCRIPTOR_LENGTH, DetectedFace, FaceAnalysis, FaceAnalysisError, FaceAnalyzer, FaceMatch, FaceMatcher, GalleryView } from '@visage/domain';
import { deadLetterPattern, DeferMessageError, PausableConsumer, QueueContext, QueueMessageInfo } from '@visage/queue';

// ---- recognizer and matcher ----------------------------------------------------------------------------

/**
 * Descriptor whose first value names the person the fake matcher will return (0 = a stranger), so tests
 * state "a face of person 7" without real models.
 */
export function faceOf(personId: number): DetectedFace {
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  descriptor[0] = personId;
  return { box: { x: 10 * personId, y: 5, width: 50, height: 60 }, score: 0.97, descriptor };
}

export type AnalyzeBehaviour = (path: string, options?: { deadlineMs?: number }) => Promise<FaceAnalysis>;

/** Scripted recognizer: `behaviour` decides each answer; `serving` answers the health probe. */
export class FakeFaceAnalyzer implements FaceAnalyzer {
  analyzeCalls: Array<{ path: string; deadlineMs?: number }> = [];
  probeCalls = 0;
  serving = true;

  constructor(public behaviour: AnalyzeBehaviour = async () => ({ width: 100, height: 80, faces: [] })) {}

  analyze(path: string, options?: { deadlineMs?: number }): Promise<FaceAnalysis> {
    this.analyzeCalls.push({ path, deadlineMs: options?.deadlineMs });
    return this.behaviour(path, options);
  }

  async isServing(): Promise<boolean> {
    this.probeCalls += 1;
    return this.serving;
  }
}

export const unavailable: AnalyzeBehaviour = async () => {
  throw new FaceAnalysisError('transient', 'connect ECONNREFUSED 127.0.0.1:50051', 'UNAVAILABLE');
};

export const corrupt: AnalyzeBehaviour = async () => {
  throw new FaceAnalysisError('permanent', 'not a decodable image', 'INVALID_ARGUMENT');
};

/** A recognizer slower than any deadline: fails the way the gRPC client does when the deadline passes. */
export const slowerThanDeadline: AnalyzeBehaviour = (_path, options) =>
  new Promise((_, reject) =>
    setTimeout(
      () => reject(new FaceAnalysisError('transient', `deadline of ${options?.deadlineMs} ms exceeded`, 'DEADLINE_EXCEEDED')),
      options?.deadlineMs ?? 0,
    ),
  );

/** Answers with the faces listed per path (`faces/<ids>.jpg` → persons; 0 is a stranger). */
export const facesFromPath: AnalyzeBehaviour = async (path) => {
  const ids = /faces\/([\d-]*)\.jpg$/.exec(path)?.[1];
  const faces = ids ? ids.split('-').filter(Boolean).map((id) => faceOf(Number(id))) : [];
  return { width: 640, height: 480, faces };
};

export class FakeMatcher implements FaceMatcher {
  version = 1;
  refreshes = 0;
  /** What a reload changes (e.g. a person deleted elsewhere disappears from `known`). */
  onRefresh: (() => void) | undefined;

  constructor(readonly known: Map<number, string>) {}

  current(): GalleryView {
    return { version: this.version, threshold: 0.5, match: (descriptor) => this.match(descriptor) };
  }

  async refresh(): Promise<boolean> {
    this.refreshes += 1;
    if (!this.onRefresh) return false;
    this.onRefresh();
    this.version += 1;
    return true;
  }

  match(descriptor: Float32Array): (FaceMatch & { matched: boolean }) | undefined {
    const id = Math.round(descriptor[0]);
    const name = this.known.get(id);
    if (name) return { personId: id, personName: name, distance: 0.25, matched: true };
    // Nearest known person exists but is too far away: not a match.
    const [nearestId, nearestName] = [...this.known.entries()][0] ?? [];
    return nearestId === undefined ? undefined : { personId: nearestId, personName: nearestName ?? '', distance: 0.9, matched: false };
  }
}

export class FakeConsumer implements PausableConsumer {
  paused = false;
  pauses = 0;
  resumes = 0;
  connected = true;

  pause(): void {
    this.paused = true;
    this.pauses += 1;
  }

  resume(): void {
    this.paused = false;
    this.resumes += 1;
  }

  isConnected(): boolean {
    return this.connected;
  }
}

// ---- in-test queue -------------------------------------------------------------------------------------

interface BrokerMessage {
  id: string;
  topic: string;
  data: unknown;
  attempts: number;
}

export interface BrokerOptions {
  maxInFlight: number;
  maxAttempts: number;
  /** Requeue delays are scaled down so tests do not wait for production backoffs. */
  maxDelayMs: number;
}

/**
 * A small in-memory broker with the queue contract's semantics: FIN on resolve, REQ (attempt counted) on
 * throw, requeue WITHOUT counting on DeferMessageError, dead letter after maxAttempts, RDY 0 while paused.
 * It exercises the consumer through Nest's real handler plumbing (FakeQueueServer), not by calling methods.
 */
export class FakeBroker {
  readonly log: Array<{ imageData: unknown; outcome: 'fin' | 'req' | 'defer' | 'dead' }> = [];
  private readonly ready: BrokerMessage[] = [];
  private readonly servers: FakeQueueServer[] = [];
  private inFlight = 0;
  private timers = 0;
  private nextId = 1;
  private cursor = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly options: BrokerOptions) {}

  publish(topic: string, data: unknown): void {
    this.ready.push({ id: String(this.nextId++), topic, data, attempts: 0 });
    this.drain();
  }

  subscribe(server: FakeQueueServer): void {
    this.servers.push(server);
    this.drain();
  }

  unsubscribe(server: FakeQueueServer): void {
    this.servers.splice(this.servers.indexOf(server), 1);
  }

  /** Resolves once nothing is ready, in flight or waiting to be requeued. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pendingMessages(): number {
    return this.ready.length + this.inFlight + this.timers;
  }

  drain(): void {
    while (this.ready.length > 0) {
      const server = this.pickServer();
      if (!server) break;
      const message = this.ready.shift() as BrokerMessage;
      void this.deliver(server, message);
    }
    this.notifyIdle();
  }

  private pickServer(): FakeQueueServer | undefined {
    for (let step = 0; step < this.servers.length; step++) {
      const server = this.servers[(this.cursor + step) % this.servers.length];
      if (!server.paused && server.inFlight < this.options.maxInFlight) {
        this.cursor = (this.cursor + step + 1) % this.servers.length;
        return server;
      }
    }
    return undefined;
  }

  private async deliver(server: FakeQueueServer, message: BrokerMessage): Promise<void> {
    message.attempts += 1;
    this.inFlight += 1;
    server.inFlight += 1;
    const info: QueueMessageInfo = { id: message.id, topic: message.topic, channel: 'test', attempts: message.attempts, timestamp: Date.now() };
    try {
      await server.handle(message.topic, message.data, info);
      this.log.push({ imageData: message.data, outcome: 'fin' });
    } catch (error) {
      if (error instanceof DeferMessageError) {
        message.attempts -= 1;
        this.log.push({ imageData: message.data, outcome: 'defer' });
        this.requeueLater(message, error.delayMs);
      } else if (message.attempts >= this.options.maxAttempts) {
        this.log.push({ imageData: message.data, outcome: 'dead' });
        await server
          .handle(deadLetterPattern(message.topic), { data: message.data, error: String((error as Error)?.message ?? error), attempts: message.attempts }, info)
          .catch(() => undefined);
      } else {
        this.log.push({ imageData: message.data, outcome: 'req' });
        this.requeueLater(message, 2 ** (message.attempts - 1));
      }
    } finally {
      this.inFlight -= 1;
      server.inFlight -= 1;
      this.drain();
    }
  }

  private requeueLater(message: BrokerMessage, delayMs: number): void {
    this.timers += 1;
    setTimeout(() => {
      this.timers -= 1;
      this.ready.push(message);
      this.drain();
    }, Math.min(delayMs, this.options.maxDelayMs));
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.inFlight === 0 && this.timers === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Consumer strategy on the fake broker: Nest registers the `@EventPattern` handlers on it as on the real one. */
export class FakeQueueServer extends Server implements CustomTransportStrategy, PausableConsumer {
  paused = false;
  pauses = 0;
  resumes = 0;
  inFlight = 0;
  connected = true;

  constructor(private readonly broker: FakeBroker) {
    super();
  }

  listen(callback: () => void): void {
    this.broker.subscribe(this);
    callback();
  }

  close(): void {
    this.broker.unsubscribe(this);
  }

  on(): void {}

  unwrap<T>(): T {
    return this.broker as T;
  }

  pause(): void {
    this.paused = true;
    this.pauses += 1;
  }

  resume(): void {
    this.paused = false;
    this.resumes += 1;
    this.broker.drain();
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Runs the handler the way a transport does: resolve = FIN, error (thrown or observable) = not finished. */
  async handle(pattern: string, data: unknown, info: QueueMessageInfo): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no handler for ${pattern}`);
    const result: unknown = await handler(data, new QueueContext([info, () => undefined]));
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }
}

/** Publisher side of the fake broker, a real ClientProxy so `emit()` behaves as in production. */
export class FakeQueueClient extends ClientProxy {
  emitted: unknown[] = [];

  constructor(private readonly broker: FakeBroker) {
    super();
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  unwrap<T>(): T {
    return this.broker as T;
  }

  protected async dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    this.emitted.push(packet.data);
    this.broker.publish(packet.pattern as string, packet.data);
    return undefined as T;
  }

  protected publish(): () => void {
    throw new Error('request/response is not used by the processor');
  }
}
