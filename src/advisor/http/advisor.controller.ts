import { Controller, Get, Header, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MODELS } from '../../sim/models';
import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import { AdvisorCore } from '../ingest/advisor-core';
import { LiveEvents } from '../outputs/live-events';
import { nodeCharts } from '../fleet/node-series';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import { FleetView } from '../fleet/fleet-view';
import { ClusterPlanner } from '../planner/cluster-planner';
import { MetricsExporter } from './metrics-exporter';
import { SLACK_ALERTER, TIME_SERIES_STORE } from '../app/tokens';
import { ZodPipe } from './zod.pipe';
import type {
  ActiveAlert,
  ApiAlert,
  NodeRecommendation,
  NodeSeries,
  NodeSummary,
  NodeView,
} from './api-types';

/** `?minutes=`: how far back a node's charts go. */
const MINUTES = z.coerce
  .number({ invalid_type_error: 'expected a whole number of minutes' })
  .int('expected a whole number of minutes')
  .min(1, 'expected at least 1')
  .max(1440, 'expected at most 1440 (a day)')
  .default(30);

/** Read-only REST over the advisor's state; thin: the logic lives in the fleet view, planner and store. */
@ApiTags('advisor')
@Controller()
export class AdvisorController {
  constructor(
    private readonly fleet: FleetView,
    private readonly planner: ClusterPlanner,
    private readonly metricsExporter: MetricsExporter,
    private readonly core: AdvisorCore,
    private readonly live: LiveEvents,
    @Inject(TIME_SERIES_STORE) private readonly store: TimeSeriesStore,
    @Inject(SLACK_ALERTER) private readonly slack: SlackAlerter | null,
  ) {}

  @Get('api/nodes')
  @ApiOkResponse({
    description: 'Every node of the fleet: name, kernel, model, severity, oversubscription, owner replica',
  })
  nodes(): NodeSummary[] {
    return this.fleet.nodeList();
  }

  @Get('api/nodes/:name')
  @ApiOkResponse({
    description: 'A node: inventory, newest analysis, active alerts, agent health, owner replica',
  })
  node(@Param('name') name: string): NodeView {
    const node = this.fleet.node(name);
    if (!node) throw new NotFoundException(`no node "${name}" (see /api/nodes)`);
    return node;
  }

  @Get('api/nodes/:name/series')
  @ApiQuery({ name: 'minutes', required: false, description: 'how far back (default 30, at most 1440)' })
  @ApiOkResponse({
    description: 'Charts of the node: PLE exits, spin and wait per VM; observed vs predicted',
  })
  async series(
    @Param('name') name: string,
    @Query('minutes', new ZodPipe('minutes', MINUTES)) m: number,
  ): Promise<NodeSeries> {
    const node = this.fleet.node(name);
    if (!node) throw new NotFoundException(`no node "${name}" (see /api/nodes)`);
    const endMs =
      Math.max(node.findings?.windowEndMs ?? 0, node.analysis?.windowEndMs ?? 0) ||
      node.inventory.timestampMs;
    // Series come from the store every replica writes to; a non-owner starts them at the window asked for.
    const fromMs = Math.max(endMs - m * 60_000, node.firstSampleMs ?? 0);
    return { node: name, fromMs, endMs, charts: await nodeCharts(this.store, name, fromMs, endMs) };
  }

  @Get('api/findings')
  findings() {
    return this.fleet
      .newestFindings()
      .flatMap((a) => a.findings.map((f) => ({ node: a.node, windowEndMs: a.windowEndMs, ...f })));
  }

  @Get('api/recommendations')
  @ApiOkResponse({ description: 'Per-node recommendations, then the cluster planner’s moves' })
  recommendations(): NodeRecommendation[] {
    const perNode = this.fleet
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
  alerts(): ApiAlert[] {
    return [...this.fleet.alerts()].reverse();
  }

  @Get('api/alerts/active')
  @ApiOkResponse({ description: 'Alerts raised and not yet cleared, per node, oldest first' })
  activeAlerts(): ActiveAlert[] {
    return this.fleet.activeAlerts();
  }

  @Get('api/plan')
  @ApiOkResponse({ description: 'The cluster planner’s newest plan and whether this replica leads' })
  plan() {
    return {
      leader: this.planner.isLeader(),
      plans: this.planner.plans,
      lastPlan: this.newestPlan(),
    };
  }

  /** This replica's own plan if it leads, or the newest one published by whichever replica led. */
  private newestPlan() {
    const own = this.planner.lastPlan;
    const published = this.fleet.lastPublishedPlan();
    return own && (!published || own.atMs >= published.atMs) ? own : published;
  }

  @Get('api/models')
  models() {
    return MODELS.map((m) => ({ name: m.name, description: m.description, since: m.since.join('.') }));
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    const { core, fleet, planner, live, slack } = this;
    return this.metricsExporter.text({ core, fleet, planner, live, slack });
  }
}
