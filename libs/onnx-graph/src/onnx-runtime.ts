import type * as Ort from 'onnxruntime-node';

/** ONNX Runtime's own switch for its built-in telemetry (it looks up a Microsoft events host when on). */
export const ORT_TELEMETRY_SWITCH = 'ORT_DISABLE_TELEMETRY';

/**
 * Turns ONNX Runtime's telemetry off for this process and every worker thread started after it: the native
 * library reads the switch from the process environment when it creates its environment (the first session).
 * Visage runs offline: nothing may leave the host. The container images set it too (Dockerfile).
 */
export function disableOnnxRuntimeTelemetry(): void {
  process.env[ORT_TELEMETRY_SWITCH] = '1';
}

/**
 * Severity below which ONNX Runtime's native logger stays silent, for its environment and for every session
 * (`logSeverityLevel`): fatal. That logger writes colour-coded text lines straight to stderr, past the app's
 * logger (onnxruntime-node offers no callback to route them), so a JSON log would stop being JSON. Whatever fails
 * reaches the app anyway, as the rejected promise of a session's creation or run, and is logged by it.
 */
export const ORT_LOG_SEVERITY_FATAL = 4;

/**
 * Sets up an ONNX Runtime module before its first session in this thread: telemetry off, the native logger kept
 * to fatal messages (`env.logLevel` is read once, when the thread's runtime is initialised).
 */
export function configureOnnxRuntime<Runtime extends Pick<typeof Ort, 'env'>>(ort: Runtime): Runtime {
  disableOnnxRuntimeTelemetry();
  ort.env.logLevel = 'fatal';
  return ort;
}

/** onnxruntime-node, loaded only after its telemetry is switched off, its native logger quiet. */
export async function loadOnnxRuntime(): Promise<typeof Ort> {
  disableOnnxRuntimeTelemetry();
  return configureOnnxRuntime(await import('onnxruntime-node'));
}
