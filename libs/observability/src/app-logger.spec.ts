import { Writable } from 'node:stream';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { appLogger, logFormatOf } from './app-logger';
import { withLogContext } from './log-context';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines, json: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const json = { LOG_FORMAT: 'json', NODE_ENV: 'production', LOG_LEVEL: 'log' } as const;

describe('appLogger', () => {
  it('writes one JSON object a line: app, level, msg, time, context, and the request id / image id of the log context', () => {
    const out = capture();
    const logger = appLogger(json, 'receiver', out.stream);
    logger.log('stored', 'ImagesService');
    withLogContext({ requestId: 'req-1', imageId: 7 }, () => logger.warn('slow', 'ImageConsumer'));
    logger.debug('not at level log', 'X');
    const [first, second] = out.json();
    expect(out.lines).toHaveLength(2);
    expect(first).toMatchObject({ app: 'receiver', level: 'info', msg: 'stored', context: 'ImagesService' });
    expect(new Date(first.time as string).toISOString()).toBe(first.time);
    expect(first).not.toHaveProperty('requestId');
    expect(second).toMatchObject({ app: 'receiver', level: 'warn', msg: 'slow', requestId: 'req-1', imageId: 7 });
  });

  it('names the handling app from the log context (embedded mode shares one logger)', () => {
    const out = capture();
    const logger = appLogger(json, 'visage', out.stream);
    withLogContext({ app: 'image-processor' }, () => withLogContext({ imageId: 3 }, () => logger.log('processed')));
    expect(out.json()[0]).toMatchObject({ app: 'image-processor', imageId: 3, msg: 'processed' });
  });

  it("keeps Nest's error signature: (message, stack, context)", () => {
    const out = capture();
    appLogger(json, 'receiver', out.stream).error('boom', 'Error: boom\n    at x', 'Filter');
    expect(out.json()[0]).toMatchObject({ level: 'error', msg: 'boom', stack: 'Error: boom\n    at x', context: 'Filter' });
  });

  it("carries Nest's own messages once it is the app's logger", async () => {
    @Controller('x')
    class XController {
      @Get()
      get() {
        return 'x';
      }
    }
    @Module({ controllers: [XController] })
    class XModule {}
    const out = capture();
    const app = await NestFactory.create(XModule, { logger: appLogger(json, 'spec', out.stream) });
    await app.init();
    new Logger('Mine').log('hello');
    await app.close();
    const lines = out.json();
    expect(lines.some((line) => line.context === 'RoutesResolver' && line.app === 'spec')).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ context: 'Mine', msg: 'hello', level: 'info' }));
  });

  it('is JSON by default in production and pretty otherwise, unless LOG_FORMAT says', () => {
    expect(logFormatOf({ NODE_ENV: 'production', LOG_FORMAT: undefined })).toBe('json');
    expect(logFormatOf({ NODE_ENV: 'development', LOG_FORMAT: undefined })).toBe('pretty');
    expect(logFormatOf({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' })).toBe('pretty');
    const out = capture();
    appLogger({ ...json, LOG_FORMAT: 'pretty' }, 'frontend', out.stream).log('ready', 'Main');
    expect(out.lines.join('\n')).toMatch(/INFO.*ready/);
    expect(() => JSON.parse(out.lines[0])).toThrow();
  });
});
