/** What tracing needs to know before anything else loads. */
export interface TracingEnvironment {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: set, tracing is on. */
  endpoint: string | undefined;
  /** OTEL_SERVICE_NAME, when the operator overrides `visage-<app>`. */
  serviceName: string | undefined;
}

/**
 * The OpenTelemetry variables, read before the configuration is parsed: each app's `instrument.ts` starts
 * tracing before its modules load so that the instrumentations can hook them, and that is before `loadConfig`
 * runs. The SDK reads the other standard `OTEL_*` variables itself; `parseConfig` still validates the endpoint at
 * boot. The only place besides `loadConfig` that reads the environment.
 */
export function tracingEnvironment(env: NodeJS.ProcessEnv = process.env): TracingEnvironment {
  return { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined, serviceName: env.OTEL_SERVICE_NAME || undefined };
}
