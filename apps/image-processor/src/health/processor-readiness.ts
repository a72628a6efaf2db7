import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessCheck } from '@visage/health';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { PausableConsumer } from '@visage/queue';
import { NO_GALLERY_VERSION } from '@visage/matcher';
import { ProcessorStartup } from '../startup/processor-startup.service';

/**
 * Ready = (besides the shared database check) the queue consumer is connected, the recognizer circuit is closed
 * (an open circuit is reported with its state and the next probe, so an operator sees why), and the start-up
 * gating is over: the `gallery` check shows the start-up stage until then, and the gallery's version and size.
 */
export function processorReadinessChecks(
  indicators: HealthIndicatorService,
  consumer: PausableConsumer,
  breaker: RecognizerBreaker,
  startup: ProcessorStartup,
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
    async () => {
      const indicator = indicators.check('gallery');
      const { stage, version, descriptors, persons } = startup.status();
      const details = { stage, version: version === NO_GALLERY_VERSION ? null : version, descriptors, persons };
      return stage === 'consuming' ? indicator.up(details) : indicator.down(details);
    },
  ];
}
