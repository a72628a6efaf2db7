// Imported first by main.ts: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must hook modules before they load.
import { startTracing } from '@visage/observability';

startTracing('face-recognition');
