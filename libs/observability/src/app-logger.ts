import { LoggerService, LogLevel } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import { VisageConfig } from '@visage/config';
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
export function appLogger(config: Pick<VisageConfig, 'LOG_FORMAT' | 'NODE_ENV' | 'LOG_LEVEL'>, app: string, destination?: DestinationStream): AppLogger {
  if (processLogger && !destination) return processLogger;
  const format = logFormatOf(config);
  const stream =
    format === 'json'
      ? (destination ?? pino.destination({ fd: 1, sync: true }))
      : pretty({
          sync: true,
          destination: destination ?? 1,
          translateTime: 'SYS:HH:MM:ss.l',
          messageKey: 'msg',
          messageFormat: '[{app}] {context}: {msg}',
          ignore: 'app,context',
          singleLine: true,
        });
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
