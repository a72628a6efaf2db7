// Imported first by app-process.ts, as each app's instrument.ts is by its main.ts.
import { startTracing } from '@visage/observability';

if (process.env.E2E_APP) startTracing(process.env.E2E_APP);
