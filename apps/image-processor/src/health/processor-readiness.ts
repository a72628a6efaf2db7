import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { ReadinessCheck } from '@visage/health';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { PausableConsumer } from '@visage/queue';
import { ProcessorStartup } from '../startup/processor-startup.service';

const PING_TIMEOUT_MS = 2_000;

/**
 * Ready = the database answers, the queue consumer is connected, the recognizer circuit is closed (an open
 * circuit is reported with its state and the next probe, so an operator sees why), and the start-up gating is
 * over: the `gallery` check shows the start-up stage until then, and the gallery's version and size.
 */
export function processorReadinessChecks(
  indicators: HealthIndicatorService,
  dataSource: DataSource,
  consumer: PausableConsumer,
  breaker: RecognizerBreaker,
  startup: ProcessorStartup,
): ReadinessCheck[] {
  return [
    async () => {
      const indicator = indicators.check('database');
      try {
        await withTimeout(dataSource.query('SELECT 1'), PING_TIMEOUT_MS);
        return indicator.up();
      } catch (error) {
        return indicator.down({ message: error instanceof Error ? error.message : String(error) });
      }
    },
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
      const details = { stage, version: version ?? null, descriptors, persons };
      return stage === 'consuming' ? indicator.up(details) : indicator.down(details);
    },
  ];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
