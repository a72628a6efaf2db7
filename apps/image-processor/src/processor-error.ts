import { CodedError } from '@visage/domain';

/**
 * What goes wrong in the processor on purpose: an image to retry after the transport's backoff, the recognizer's
 * circuit open, the recognizer overloaded, a webhook endpoint refusing a delivery, start-up cut short by shutdown.
 */
export type ProcessorErrorCode = 'retry_later' | 'circuit_open' | 'recognizer_overloaded' | 'webhook_refused' | 'startup_stopped';

/** The processor's one error type; subclasses add what their code needs (a delay). */
export class ProcessorError extends CodedError<ProcessorErrorCode> {}
