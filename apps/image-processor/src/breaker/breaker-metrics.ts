import { BREAKER_STATE_VALUES, metrics } from '@visage/observability';
import { RecognizerBreaker } from './recognizer-breaker';

/** Mirrors the circuit on `/metrics`: `visage_breaker_state` and a transition count per state entered. */
export function observeBreaker(breaker: RecognizerBreaker): RecognizerBreaker {
  metrics.breakerState.set(BREAKER_STATE_VALUES[breaker.state]);
  breaker.onStateChange((state) => {
    metrics.breakerState.set(BREAKER_STATE_VALUES[state]);
    metrics.breakerTransitions.inc({ to: state });
  });
  return breaker;
}
