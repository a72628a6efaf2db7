import { LoggerService, LogLevel } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger as Pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { VisageConfig } from '@visage/config';
import { escapeUnsafeCharacters } from '@visage/domain';
import { currentLogContext } from './log-context';

const PINO_LEVELS: Record<VisageConfig['LOG_LEVEL'], Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

export type LogFormat = 'json' | 'pretty';

export function logFormatOf(config: Pick<VisageConfig, 'LOG_FORMAT' | 'NODE_ENV'>): LogFormat {
  return config.LOG_FORMAT ?? (config.NODE_ENV === 'production' ? 'json' : 'pretty');
}

/**
 * Nest's LoggerService over pino: Nest's own messages and every `new Logger(context)` go through it. JSON lines
 * (`app`, `level`, `msg`, `time`, `context`, and `requestId` / `imageId` from {@link withLogContext}) or pretty
 * lines. Messages are logged as given: callers never pass secrets, keys or descriptors.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    // Nest passes (message, stack, context) or (message, context).
    const [stack, context] = params.length >= 2 ? params : [undefined, params[0]];
    this.write('error', message, [context], typeof stack === 'string' ? stack : undefined);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
  /** Nest's logger option may narrow the levels; pino keeps the lowest one asked for. */
  setLogLevels(levels: LogLevel[]): void {
    const lowest = (['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const).find((level) => levels.includes(level));
    this.pino.level = lowest ? PINO_LEVELS[lowest] : 'silent';
  }

  private write(level: Level, message: unknown, params: unknown[], stack?: string): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const last = params[params.length - 1];
    const fields: Record<string, unknown> = {};
    if (typeof last === 'string') fields.context = last;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = { type: message.name, message: message.message, stack: message.stack };
      this.pino[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

let processLogger: AppLogger | undefined;

/**
 * The process's logger: the first app created in a process names it (`app`); in embedded mode the others reuse
 * it, and lines written inside a request or message carry the handling app from the log context instead.
 * `destination` is for tests (default: stdout, written synchronously so no line is lost at exit).
 */
export function appLogger(
  config: Pick<VisageConfig, 'LOG_FORMAT' | 'NODE_ENV' | 'LOG_LEVEL'>,
  app: string,
  destination?: DestinationStream,
): AppLogger {
  if (processLogger && !destination) return processLogger;
  const format = logFormatOf(config);
  const output = destination ?? pino.destination({ fd: 1, sync: true });
  const stream = format === 'json' ? output : prettyStream(output);
  const logger = new AppLogger(
    pino(
      {
        level: PINO_LEVELS[config.LOG_LEVEL],
        // No pid/hostname: the container runtime knows them.
        base: null,
        messageKey: 'msg',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => ({ app, ...currentLogContext() }),
      },
      stream,
    ),
  );
  if (!destination) processLogger = logger;
  return logger;
}

/** Every string of a log line, keys included, with its unsafe characters escaped (objects and arrays walked). */
function escapeLogValue(value: unknown): unknown {
  if (typeof value === 'string') return escapeUnsafeCharacters(value);
  if (Array.isArray(value)) return value.map(escapeLogValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [escapeUnsafeCharacters(key), escapeLogValue(field)]));
  }
  return value;
}

/**
 * Pretty lines for a terminal. Every field is escaped first (control characters, bidirectional overrides): a
 * newline in a path, a name or a request id would forge a line, an ESC sequence repaint the terminal, an override
 * make a name read as another. The JSON format needs nothing: a JSON string cannot break its line.
 */
function prettyStream(destination: DestinationStream): DestinationStream {
  const prettify = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    messageKey: 'msg',
    messageFormat: '[{app}] {context}: {msg}',
    ignore: 'app,context',
    singleLine: true,
  });
  return { write: (line: string) => destination.write(prettify(escapeLogValue(JSON.parse(line)))) };
}
