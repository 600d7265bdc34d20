import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { AdvisorCore } from '../ingest/advisor-core';

type PartStatus = { status: 'up' | 'down' | 'degraded'; reasons?: string[] };

/**
 * Probes. Liveness (terminus) says only that the process answers. Readiness says whether this
 * replica serves: 503 only while it is not started (or stopping). Kafka (consumer alive, in the
 * group, fetching, committing) and the store (keeping up, or failing within its buffer) each
 * report `degraded` with their reasons and status 200, so that an outage of either never empties
 * the Service: the dashboard and the API keep answering with what the replica holds.
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly core: AdvisorCore,
  ) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('readyz')
  ready() {
    const parts = this.core.readinessByPart();
    const details: Record<string, PartStatus> = {};
    for (const [part, reasons] of Object.entries(parts)) {
      const bad = part === 'advisor' ? 'down' : 'degraded';
      details[part] = reasons.length === 0 ? { status: 'up' } : { status: bad, reasons };
    }
    if (parts.advisor.length > 0) throw new ServiceUnavailableException({ status: 'error', details });
    const degraded = Object.values(details).some((d) => d.status === 'degraded');
    return { status: degraded ? 'degraded' : 'ok', details };
  }
}
