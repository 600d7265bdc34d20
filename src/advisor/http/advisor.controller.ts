import {
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { MODELS } from '../../sim/models';
import { AdvisorCore } from '../advisor-core';

/** Read-only REST over the advisor's state; thin: the logic lives in AdvisorCore. */
@ApiTags('advisor')
@Controller()
export class AdvisorController {
  constructor(@Inject(AdvisorCore) private readonly core: AdvisorCore) {}

  @Get('api/nodes')
  @ApiOkResponse({ description: 'Every node: name, kernel, model, severity, oversubscription' })
  nodes() {
    return this.core.nodeList();
  }

  @Get('api/nodes/:name')
  node(@Param('name') name: string) {
    const node = this.core.node(name);
    if (!node) throw new NotFoundException(`no node "${name}" (see /api/nodes)`);
    return node;
  }

  @Get('api/findings')
  findings() {
    return this.core.analyses().flatMap((a) => a.findings.map((f) => ({ node: a.node, ...f })));
  }

  @Get('api/recommendations')
  recommendations() {
    return this.core.analyses().flatMap((a) => a.recommendations.map((r) => ({ node: a.node, ...r })));
  }

  @Get('api/models')
  models() {
    return MODELS.map((m) => ({ name: m.name, description: m.description, since: m.since.join('.') }));
  }

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  readiness() {
    if (!this.core.ready) throw new ServiceUnavailableException('consumer not started');
    return { status: 'ready' };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): string {
    const m = this.core.metrics;
    const line = (name: string, help: string, type: string, value: number) =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
    return [
      line(
        'spinwise_samples_ingested_total',
        'Samples accepted into node windows',
        'counter',
        m.samplesIngested,
      ),
      line(
        'spinwise_samples_duplicate_total',
        'Samples absorbed as duplicates or late',
        'counter',
        m.duplicates,
      ),
      line(
        'spinwise_dead_lettered_total',
        'Messages sent to the dead-letter topic',
        'counter',
        m.deadLettered,
      ),
      line('spinwise_windows_analysed_total', 'Node windows analysed', 'counter', m.windowsAnalysed),
      line(
        'spinwise_analysis_seconds_last',
        'Duration of the last node analysis',
        'gauge',
        m.lastAnalysisMs / 1000,
      ),
      line('spinwise_analysis_seconds_total', 'Time spent analysing', 'counter', m.analysisMsTotal / 1000),
      line('spinwise_nodes', 'Nodes known to this replica', 'gauge', this.core.nodeList().length),
    ].join('');
  }
}
