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

  it('escapes control characters and bidirectional overrides in every field of a pretty line', () => {
    const out = capture();
    const logger = appLogger({ ...json, LOG_FORMAT: 'pretty' }, 'receiver', out.stream);
    const forged = 'party/1.jpg\n[12:00:00.000] INFO: [receiver] Keys: admin key created';
    withLogContext({ requestId: 'req\u001b[2J' }, () =>
      logger.warn({ msg: `stored ${forged}`, path: forged, person: 'Ada\u202eecalovoL', nested: { tab: 'a\tb', c1: 'x\u009by' } }, 'Images\r'),
    );
    expect(out.lines).toHaveLength(1);
    // The colours pino-pretty adds on a terminal are its own escapes; nothing else may remain.
    // eslint-disable-next-line no-control-regex
    const line = out.lines[0].replace(/\u001b\[[0-9;]*m/g, '');
    // eslint-disable-next-line no-control-regex
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u);
    expect(line).toContain('[receiver] Images\\u000d: stored party/1.jpg\\u000a[12:00:00.000] INFO');
    for (const escaped of ['req\\u001b[2J', 'Ada\\u202eecalovoL', 'a\\u0009b', 'x\\u009by']) expect(line).toContain(escaped);
  });
});
