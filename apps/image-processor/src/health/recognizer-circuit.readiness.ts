import { readinessCheck } from '@visage/health';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';

/**
 * `/health/ready` check "recognizer_circuit": up only while the circuit is closed; an open circuit is reported
 * with its state and the next probe, so an operator sees why.
 */
export const recognizerCircuitReadiness = readinessCheck('recognizer_circuit', [RecognizerBreaker], (breaker: RecognizerBreaker) => {
  const snapshot = breaker.snapshot();
  const details = {
    state: snapshot.state,
    consecutiveFailures: snapshot.consecutiveFailures,
    consecutiveOverloads: snapshot.consecutiveOverloads,
    ...(snapshot.nextProbeAt ? { nextProbeAt: new Date(snapshot.nextProbeAt).toISOString() } : {}),
  };
  return { up: snapshot.state === 'closed', details };
});
