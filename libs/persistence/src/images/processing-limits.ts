/**
 * Limits of processing an image, shared by the consumer and the retry job; all come from the configuration. Not the
 * queue's `RetryPolicy` (`@visage/queue`), which is the transport's requeue backoff.
 */
export interface ProcessingLimits {
  /** Attempts (errors) after which a failed image is no longer retried (MAX_ATTEMPTS). */
  maxAttempts: number;
  /**
   * Length of a claim's lease (CLAIM_TIMEOUT_MS): its holder renews it while working; a lease not renewed for this
   * long belonged to a consumer that crashed or hung, and the image may be taken over.
   */
  claimTimeoutMs: number;
  /**
   * A `pending` image untouched for this long, or a `retrying` one this long past its next attempt, probably lost
   * its queue message (PENDING_STALE_MS): the last-resort sweep publishes it again.
   */
  pendingStaleMs: number;
}
