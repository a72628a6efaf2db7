import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeImageQueuedEvent } from '@visage/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, traceCarrier, withQueueSpan } from './tracing';

describe('tracing', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: the SDK is not loaded and messages carry no trace context', () => {
    expect(startTracing('receiver', { endpoint: undefined, serviceName: undefined })).toBeUndefined();
    expect(Object.keys(require.cache).some((path) => path.includes('@opentelemetry/sdk-node'))).toBe(false);
    expect(traceCarrier()).toEqual({});
  });

  describe('with a tracer provider registered', () => {
    const exporter = new InMemorySpanExporter();
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    });
    afterAll(() => {
      trace.disable();
      propagation.disable();
      context.disable();
    });

    it("carries the publisher's span across the queue: the consumer's span is its child in the same trace", async () => {
      const tracer = trace.getTracer('spec');
      const { carrier, publisher } = tracer.startActiveSpan('POST /image/post', (span) => {
        const carried = traceCarrier();
        span.end();
        return { carrier: carried, publisher: span.spanContext() };
      });
      expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      // Through the envelope codec, as the processor receives it.
      const event = decodeImageQueuedEvent(JSON.parse(JSON.stringify({ imageId: 5, ...carrier })))!;
      await withQueueSpan('image.process', event, async () => undefined);
      const consumer = exporter.getFinishedSpans().find((span) => span.name === 'image.process')!;
      expect(consumer.spanContext().traceId).toBe(publisher.traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(publisher.spanId);
    });

    it('marks the consumer span as failed when the handler throws, and rethrows', async () => {
      await expect(withQueueSpan('image.process', {}, async () => Promise.reject(new Error('recognizer down')))).rejects.toThrow('recognizer down');
      const failed = exporter.getFinishedSpans().at(-1)!;
      expect(failed.status).toMatchObject({ code: 2, message: 'recognizer down' });
    });
  });
});
