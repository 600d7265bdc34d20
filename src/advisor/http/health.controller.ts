import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { AdvisorCore } from '../advisor-core';

/**
 * Probes through @nestjs/terminus. Liveness says only that the process answers; readiness has one
 * indicator per part — the advisor started, Kafka (consumer alive, in the group, fetching,
 * committing), the store (keeping up, or failing within its buffer) — each down with its reasons.
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly core: AdvisorCore,
  ) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('readyz')
  @HealthCheck()
  ready() {
    const parts = this.core.readinessByPart();
    return this.health.check(
      (Object.keys(parts) as (keyof typeof parts)[]).map((part) => () => {
        const session = this.indicators.check(part);
        const reasons = parts[part];
        return reasons.length === 0 ? session.up() : session.down({ reasons });
      }),
    );
  }
}
