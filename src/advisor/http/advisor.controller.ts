import {
  BadRequestException,
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { MODELS } from '../../sim/models';
import type { AdvisorRuntime } from '../advisor-runtime';
import { nodeCharts } from '../node-series';
import { prometheusText } from './prometheus-text';
import { ADVISOR_RUNTIME } from './runtime-token';

/** Read-only REST over the advisor's state; thin: the logic lives in the core, planner and store. */
@ApiTags('advisor')
@Controller()
export class AdvisorController {
  constructor(@Inject(ADVISOR_RUNTIME) private readonly runtime: AdvisorRuntime) {}

  @Get('api/nodes')
  @ApiOkResponse({
    description: 'Every node of the fleet: name, kernel, model, severity, oversubscription, owner replica',
  })
  nodes() {
    return this.runtime.fleet.nodeList();
  }

  @Get('api/nodes/:name')
  @ApiOkResponse({
    description: 'A node: inventory, newest analysis, active alerts, agent health, owner replica',
  })
  node(@Param('name') name: string) {
    const node = this.runtime.fleet.node(name);
    if (!node) throw new NotFoundException(`no node "${name}" (see /api/nodes)`);
    return node;
  }

  @Get('api/nodes/:name/series')
  @ApiQuery({ name: 'minutes', required: false, description: 'how far back (default 30, at most 1440)' })
  @ApiOkResponse({
    description: 'Charts of the node: PLE exits, spin and wait per VM; observed vs predicted',
  })
  async series(@Param('name') name: string, @Query('minutes') minutes = '30') {
    const node = this.runtime.fleet.node(name);
    if (!node) throw new NotFoundException(`no node "${name}" (see /api/nodes)`);
    const m = Number(minutes);
    if (!Number.isInteger(m) || m < 1 || m > 1440)
      throw new BadRequestException(`minutes: expected an integer 1–1440, got "${minutes}"`);
    const endMs = node.analysis?.windowEndMs ?? node.inventory.timestampMs;
    // Series come from the store every replica writes to; a non-owner starts them at the window asked for.
    const fromMs = Math.max(endMs - m * 60_000, node.firstSampleMs ?? 0);
    return { node: name, fromMs, endMs, charts: await nodeCharts(this.runtime.store, name, fromMs, endMs) };
  }

  @Get('api/findings')
  findings() {
    return this.runtime.fleet
      .newestFindings()
      .flatMap((a) => a.findings.map((f) => ({ node: a.node, windowEndMs: a.windowEndMs, ...f })));
  }

  @Get('api/recommendations')
  @ApiOkResponse({ description: 'Per-node recommendations, then the cluster planner’s moves' })
  recommendations() {
    const perNode = this.runtime.fleet
      .newestAnalyses()
      .flatMap((a) => a.recommendations.map((r) => ({ node: a.node, ...r })));
    const moves = (this.newestPlan()?.moves ?? []).map((m) => ({
      node: m.node,
      vm: m.vm,
      toNode: m.toNode,
      effects: m.effects,
      ...m.recommendation,
    }));
    return [...perNode, ...moves];
  }

  @Get('api/alerts')
  @ApiOkResponse({ description: 'Alert history, newest first (raised and cleared, after hysteresis)' })
  alerts() {
    return [...this.runtime.fleet.alerts()].reverse();
  }

  @Get('api/alerts/active')
  @ApiOkResponse({ description: 'Alerts raised and not yet cleared, per node, oldest first' })
  activeAlerts() {
    return this.runtime.fleet.activeAlerts();
  }

  @Get('api/plan')
  @ApiOkResponse({ description: 'The cluster planner’s newest plan and whether this replica leads' })
  plan() {
    return {
      leader: this.runtime.planner.isLeader(),
      plans: this.runtime.planner.plans,
      lastPlan: this.newestPlan(),
    };
  }

  /** This replica's own plan if it leads, or the newest one published by whichever replica led. */
  private newestPlan() {
    const own = this.runtime.planner.lastPlan;
    const published = this.runtime.fleet.lastPublishedPlan();
    return own && (!published || own.atMs >= published.atMs) ? own : published;
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
    const { ready, reasons } = this.runtime.core.readiness();
    if (!ready) throw new ServiceUnavailableException({ status: 'not ready', reasons });
    return { status: 'ready' };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): string {
    return prometheusText(this.runtime);
  }
}
