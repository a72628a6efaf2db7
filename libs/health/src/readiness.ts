import { HealthIndicatorResult } from '@nestjs/terminus';

/** One dependency check of `/health/ready`; resolves to a Terminus result (`up` or `down`). */
export type ReadinessCheck = () => Promise<HealthIndicatorResult>;

/**
 * Multi-provider token: every feature module that owns a dependency (database, queue, breaker, models)
 * provides `{ provide: READINESS_CHECKS, useFactory: (...) => check, inject: [...], multi }` via
 * {@link provideReadinessCheck}; the health controller runs all of them.
 */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
