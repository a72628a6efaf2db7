import { readinessCheck } from '@visage/health';
import { WebhookDeliveryJob } from './webhook-delivery.job';

/**
 * `/health/ready` check "webhooks": always up — a dead endpoint must not take the processor out of service — with
 * each endpoint's state, failures in a row, last error and waiting deliveries in the details, for an operator.
 */
export const webhooksReadiness = readinessCheck('webhooks', [WebhookDeliveryJob], (job: WebhookDeliveryJob) => ({
  up: true,
  details: { endpoints: job.snapshot() },
}));
