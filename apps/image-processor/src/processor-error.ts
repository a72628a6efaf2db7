import { CodedError } from '@visage/domain';

/**
 * What goes wrong in the processor on purpose: an image to retry after the transport's backoff, the recognizer's
 * circuit open, the recognizer overloaded, a webhook endpoint refusing a delivery, start-up cut short by shutdown, a
 * stored face or enrolment that cannot be re-described (its image gone, its face not found again).
 */
export type ProcessorErrorCode =
  'retry_later' | 'circuit_open' | 'recognizer_overloaded' | 'webhook_refused' | 'startup_stopped' | 'cannot_redescribe';

/** The processor's one error type; subclasses add what their code needs (a delay). */
export class ProcessorError extends CodedError<ProcessorErrorCode> {}
