import { Inject, Injectable } from '@nestjs/common';
import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import type { NodeAnalysis, NodeFindings, RecommendationMessage } from '../../telemetry';
import type { AdvisorConfig } from '../app/advisor-config';
import type { AdvisorOptions } from '../ingest/advisor-core';
import type { AlertEvent } from '../http/api-types';
import type { ClusterGateway } from './cluster-gateway';
import { MetricsExporter } from '../http/metrics-exporter';
import { LiveEvents } from './live-events';
import { ADVISOR_CONFIG, CLUSTER_GATEWAY, SLACK_ALERTER } from '../app/tokens';

type AnalysisCost = Parameters<NonNullable<AdvisorOptions['onAnalysis']>>[1];

/**
 * Where the core's and the planner's results go besides Kafka: the metrics' histograms, the
 * dashboard's live stream, Slack, the cluster (Events, annotations, migrations) and the caller's
 * own hooks. None of them may hold the advisor up: the cluster and Slack are fire-and-forget.
 */
@Injectable()
export class AdvisorEvents {
  /** The dashboard's address for links in Slack, known once the server listens. */
  publicUrl = '';

  constructor(
    private readonly live: LiveEvents,
    private readonly metrics: MetricsExporter,
    @Inject(SLACK_ALERTER) private readonly slack: SlackAlerter | null,
    @Inject(CLUSTER_GATEWAY) private readonly gateway: ClusterGateway | null,
    @Inject(ADVISOR_CONFIG) private readonly config: AdvisorConfig,
  ) {
    this.publicUrl = config.options.publicUrl ?? '';
  }

  findings(findings: NodeFindings, delayMs: number): void {
    this.metrics.findingDelaySeconds.observe(delayMs / 1000);
    this.config.options.onFindings?.(findings, delayMs);
  }

  analysis(a: NodeAnalysis, cost: AnalysisCost): void {
    this.metrics.analysisSeconds.observe(cost.ms / 1000);
    this.metrics.predictionDelaySeconds.observe((Date.now() - cost.closedAtWallMs) / 1000);
    this.live.publish({ type: 'analysis', node: a.node, severity: a.severity, windowEndMs: a.windowEndMs });
    void this.gateway?.onAnalysis(a);
    this.config.options.onAnalysis?.(a, cost);
  }

  alert(alert: AlertEvent): void {
    this.live.publish({
      type: 'alert',
      node: alert.node,
      transition: alert.transition,
      kind: alert.finding.kind,
      vm: alert.finding.vm,
    });
    this.slack?.notify({
      ...alert,
      dashboardUrl: `${this.publicUrl}/#/nodes/${encodeURIComponent(alert.node)}`,
    });
    void this.gateway?.onAlert(alert);
    this.config.options.onAlert?.(alert);
  }

  plan(moves: RecommendationMessage[]): void {
    this.live.publish({ type: 'plan', moves: moves.length });
    void this.gateway?.onPlan(moves);
    this.config.options.onPlan?.(moves);
  }
}
