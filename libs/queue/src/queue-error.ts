import { CodedError } from '@visage/domain';

/** What a queue transport refuses: the publisher was closed, nsqd did not take a message, a request/response call. */
export type QueueErrorCode = 'publisher_closed' | 'publish_failed' | 'request_response_not_supported';

/** The queue transports' one error type. */
export class QueueError extends CodedError<QueueErrorCode> {}
