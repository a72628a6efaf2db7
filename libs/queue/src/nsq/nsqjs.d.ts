// nsqjs 0.13 ships no types; this declares the part of its API the transport uses (see node_modules/nsqjs/lib).
declare module 'nsqjs' {
  import { EventEmitter } from 'node:events';

  export interface ConnectionOptions {
    clientId?: string;
    heartbeatInterval?: number;
    maxInFlight?: number;
    messageTimeout?: number;
    requeueDelay?: number;
    idleTimeout?: number;
  }

  export interface ReaderOptions extends ConnectionOptions {
    lookupdHTTPAddresses?: string[];
    nsqdTCPAddresses?: string[];
    lookupdPollInterval?: number;
    lookupdPollJitter?: number;
    maxAttempts?: number;
    maxBackoffDuration?: number;
    lowRdyTimeout?: number;
  }

  export class Message extends EventEmitter {
    readonly id: string;
    readonly attempts: number;
    readonly timestamp: bigint;
    readonly body: Buffer;
    readonly msgTimeout: number;
    readonly maxMsgTimeout: number;
    hasResponded: boolean;
    finish(): void;
    requeue(delayMs?: number, backoff?: boolean): void;
    touch(): void;
  }

  export class Reader extends EventEmitter {
    constructor(topic: string, channel: string, options: ReaderOptions);
    readonly topic: string;
    readonly channel: string;
    connect(): void;
    close(): void;
    pause(): void;
    unpause(): void;
    isPaused(): boolean;
    /** The RDY state machine (node-state): ZERO, PAUSE, TRY_ONE, MAX, BACKOFF. */
    readonly readerRdy: { readonly current_state_name: string; goto(state: 'MAX'): void };
    on(event: 'message', listener: (message: Message) => void): this;
    on(event: 'nsqd_connected' | 'nsqd_closed', listener: (host: string, port: number) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'ready' | 'not_ready', listener: () => void): this;
  }

  export class Writer extends EventEmitter {
    constructor(host: string, port: number, options?: ConnectionOptions);
    ready: boolean;
    connect(): void;
    close(): void;
    publish(topic: string, messages: string | Buffer | Array<string | Buffer>, callback: (error?: Error | null) => void): void;
    deferPublish(topic: string, message: string | Buffer | Array<string | Buffer>, delayMs: number, callback: (error?: Error | null) => void): void;
    on(event: 'ready' | 'closed', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }
}
