import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessCheck } from '@visage/health';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { PausableConsumer } from '@visage/queue';

/**
 * Ready = (besides the shared database check) the queue consumer is connected, and the recognizer circuit
 * is closed (an open circuit is reported with its state and the next probe, so an operator sees why).
 */
export function processorReadinessChecks(
  indicators: HealthIndicatorService,
  consumer: PausableConsumer,
  breaker: RecognizerBreaker,
): ReadinessCheck[] {
  return [
    async () => {
      const indicator = indicators.check('queue');
      return consumer.isConnected() ? indicator.up() : indicator.down({ message: 'consumer not connected' });
    },
    async () => {
      const indicator = indicators.check('recognizer_circuit');
      const snapshot = breaker.snapshot();
      const details = {
        state: snapshot.state,
        consecutiveFailures: snapshot.consecutiveFailures,
        ...(snapshot.nextProbeAt ? { nextProbeAt: new Date(snapshot.nextProbeAt).toISOString() } : {}),
      };
      return snapshot.state === 'closed' ? indicator.up(details) : indicator.down(details);
    },
  ];
}
