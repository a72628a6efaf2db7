import { metrics } from '@visage/observability';
import type { ProcessResult } from './process-image.service';

/** The status an image is left in when this result is its last word, or undefined while it may be retried. */
export function finalStatusOf(result: ProcessResult): 'processed' | 'unrecognized' | 'failed' | undefined {
  switch (result.status) {
    case 'processed':
    case 'unrecognized':
      return result.status;
    case 'failed_permanent':
      return 'failed';
    case 'failed_transient':
      return result.willRetry ? undefined : 'failed';
    case 'deferred':
    case 'skipped':
      return undefined;
  }
}

/** Counts a final outcome and observes submission → final status, once per image that reaches one. */
export function recordImageOutcome(result: ProcessResult, submittedAt: Date): void {
  const status = finalStatusOf(result);
  if (!status) return;
  metrics.imageOutcomes.inc({ status });
  metrics.imageLatency.observe(Math.max(0, Date.now() - submittedAt.getTime()) / 1000);
}
