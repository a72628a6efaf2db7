import { InjectionToken, OptionalFactoryDependency } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { describeError, withTimeout } from '@visage/domain';

/** One dependency check of `/health/ready`; resolves to a Terminus result (`up` or `down`). */
export type ReadinessCheck = () => Promise<HealthIndicatorResult>;

/** Token of the checks the health controller runs (a list of lists, one per provider given to `HealthModule`). */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** A factory of readiness checks over injected dependencies, as given to `HealthModule.forRoot(...)`. */
export interface ReadinessCheckProvider {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...deps: never[]) => ReadinessCheck[];
}

/** What a probe found: up or down, with details an operator can read in `/health/ready`. */
export interface ReadinessProbeResult {
  up: boolean;
  details?: Record<string, unknown>;
}

/** No probe may hold `/health/ready` longer than this: a dependency that does not answer is down. */
export const READINESS_TIMEOUT_MS = 2_000;

/**
 * The one shape of a readiness check: a file `<dependency>.readiness.ts` exports
 * `readinessCheck('<key>', [tokens], (...deps) => probe)`. The probe is bounded by READINESS_TIMEOUT_MS, and a
 * probe that throws or times out reports `down` with its error as `reason`.
 */
export function readinessCheck<Deps extends unknown[]>(
  key: string,
  inject: Array<InjectionToken | OptionalFactoryDependency>,
  probe: (...deps: Deps) => ReadinessProbeResult | Promise<ReadinessProbeResult>,
  timeoutMs = READINESS_TIMEOUT_MS,
): ReadinessCheckProvider {
  return {
    inject: [HealthIndicatorService, ...inject],
    useFactory: ((indicators: HealthIndicatorService, ...deps: Deps) => [
      async () => {
        const indicator = indicators.check(key);
        try {
          const result = await withTimeout(
            Promise.resolve().then(() => probe(...deps)),
            timeoutMs,
          );
          return result.up ? indicator.up(result.details) : indicator.down(result.details);
        } catch (error) {
          return indicator.down({ reason: describeError(error) });
        }
      },
    ]) as unknown as ReadinessCheckProvider['useFactory'],
  };
}
