/** The deployable's name (`receiver`, `image-processor`, …): the `app` label of its metrics and log lines. */
export const OBSERVED_APP = Symbol('OBSERVED_APP');
