import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingEnvironment, TracingEnvironment } from '@visage/config';
import { describeError } from '@visage/domain';

/** The W3C trace context carried in a queue message (`traceparent`, `tracestate`). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

const tracer = () => trace.getTracer('visage');

let running: Tracing | undefined;

/** Flushes and stops tracing started by {@link startTracing} (once; later calls and "off" do nothing). */
export async function stopTracing(): Promise<void> {
  const stopping = running;
  running = undefined;
  await stopping?.shutdown();
}

/**
 * OpenTelemetry tracing when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: traces over OTLP/HTTP with the http, express,
 * grpc and mysql2 instrumentations, service name `visage-<app>` unless `OTEL_SERVICE_NAME` says otherwise (the
 * standard `OTEL_*` variables apply). Call it before the app's modules load (each app's `instrument.ts`, imported
 * first by its `main.ts`). Off by default: the SDK is not even loaded, and the API calls below are no-ops.
 */
export function startTracing(app: string, environment: TracingEnvironment = tracingEnvironment()): Tracing | undefined {
  if (!environment.endpoint || running) return running;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on, so off costs nothing */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  const { MySQL2Instrumentation } = require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    serviceName: environment.serviceName ?? `visage-${app}`,
    traceExporter: new OTLPTraceExporter(),
    // Metrics stay on /metrics (Prometheus) and logs on stdout: no OTLP metrics or logs pipeline.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(health|metrics)(\/|$)/.test(request.url ?? '') }),
      new ExpressInstrumentation(),
      new GrpcInstrumentation(),
      new MySQL2Instrumentation(),
    ],
  });
  sdk.start();
  running = { shutdown: () => sdk.shutdown() };
  return running;
}

/** The active span's context for a queue message; empty when tracing is off. */
export function traceCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs a message handler in a consumer span whose parent is the publisher's span carried in the message. */
export function withQueueSpan<T>(name: string, carrier: TraceCarrier, fn: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  return tracer().startActiveSpan(name, { kind: SpanKind.CONSUMER }, parent, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
