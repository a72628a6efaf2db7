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

/** onnxruntime-node, loaded only after its telemetry is switched off. */
export async function loadOnnxRuntime(): Promise<typeof Ort> {
  disableOnnxRuntimeTelemetry();
  return import('onnxruntime-node');
}
