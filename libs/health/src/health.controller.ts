import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '@visage/access';
import { READINESS_CHECKS, ReadinessCheck } from './readiness';

/**
 * Liveness checks nothing (a process that answers is alive; restarting it would not fix a dependency);
 * readiness checks every dependency the app needs to do useful work.
 * Public: probes carry no key, and the answers name no image or person.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[][],
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(this.checks.flat());
  }
}
