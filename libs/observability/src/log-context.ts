import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while handling one request or message carries. */
export interface LogContext {
  /** The app handling it; in embedded mode several apps share one process logger. */
  app?: string;
  requestId?: string;
  imageId?: number;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `context` added to the current one (inner values win) for every line it logs. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}
