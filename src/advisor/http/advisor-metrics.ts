import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import type { FleetView } from '../fleet/fleet-view';
import type { AdvisorCore } from '../ingest/advisor-core';
import type { LiveEvents } from '../outputs/live-events';
import type { ClusterPlanner } from '../planner/cluster-planner';

/** What `/metrics` reads across the advisor at each scrape. */
export interface MetricSources {
  core: AdvisorCore;
  /** The whole fleet, as every replica answers for it. */
  fleet: FleetView;
  planner: ClusterPlanner;
  live: LiveEvents;
  slack: SlackAlerter | null;
}

export type Metric = [name: string, help: string, type: 'counter' | 'gauge', value: number];

/** The advisor's own counters and gauges, read at each scrape. */
export function advisorMetrics(services: MetricSources): Metric[] {
  const m = services.core.metrics;
  const models = services.core.runner.stats();
  const metrics: Metric[] = [
    ['spinwise_samples_ingested_total', 'Samples accepted into node windows', 'counter', m.samplesIngested],
    ['spinwise_samples_duplicate_total', 'Samples absorbed as duplicates or late', 'counter', m.duplicates],
    ['spinwise_inventories_ingested_total', 'Node inventories read', 'counter', m.inventoriesIngested],
    ['spinwise_dead_lettered_total', 'Messages sent to the dead-letter topic', 'counter', m.deadLettered],
    ['spinwise_windows_analysed_total', 'Node windows analysed', 'counter', m.windowsAnalysed],
    [
      'spinwise_ingest_lag_seconds',
      'Broker append to handling of the newest sample',
      'gauge',
      m.ingestLagMs / 1000,
    ],
    [
      'spinwise_analysis_queue',
      'Windows waiting for the models or being modelled (at most one waiting per node)',
      'gauge',
      services.core.analysisQueue,
    ],
    [
      'spinwise_windows_coalesced_total',
      'Windows taken into one still waiting for the models (predictions refreshed less often)',
      'counter',
      m.windowsCoalesced,
    ],
    [
      'spinwise_model_reused_total',
      "Analyses on the node's own earlier model (its load within the model's resolution)",
      'counter',
      models.reused,
    ],
    [
      'spinwise_model_taken_over_total',
      'Nodes whose model was taken over from their newest published analysis (handover, restart)',
      'counter',
      models.takenOver,
    ],
    [
      'spinwise_model_cache_hits_total',
      'Analyses on a cached model of the same fingerprint, or a near one',
      'counter',
      models.hits,
    ],
    [
      'spinwise_model_answered_waiting_total',
      'Of those, analyses answered while waiting for a worker, from a model stored meanwhile',
      'counter',
      models.answeredWaiting,
    ],
    ['spinwise_model_cache_misses_total', 'Analyses that fitted a model', 'counter', models.misses],
    [
      'spinwise_prediction_cache_hits_total',
      'Fits whose what-ifs were replayed before for an alike fitted workload',
      'counter',
      models.predictionHits,
    ],
    [
      'spinwise_prediction_cache_misses_total',
      'Fits whose what-ifs were replayed',
      'counter',
      models.predictionMisses,
    ],
    ['spinwise_alerts_raised_total', 'Alerts raised after hysteresis', 'counter', m.alertsRaised],
    [
      'spinwise_samples_refused_clock_total',
      'Valid samples dead-lettered: timestamp too old or ahead of this clock',
      'counter',
      m.refusedClock,
    ],
    [
      'spinwise_samples_refused_no_inventory_total',
      'Samples dead-lettered: their node sent no inventory in time',
      'counter',
      m.refusedNoInventory,
    ],
    [
      'spinwise_samples_refused_node_cap_total',
      'Samples dead-lettered: beyond the number of nodes tracked',
      'counter',
      m.refusedNodeCap,
    ],
    [
      'spinwise_series_restarts_total',
      'Node seq restarts or jumps that began a new series',
      'counter',
      m.seriesRestarts,
    ],
    [
      'spinwise_points_refused_series_cap_total',
      'Points not written: their node reached its cap of store series',
      'counter',
      m.pointsRefusedSeriesCap,
    ],
    ['spinwise_nodes_evicted_total', 'Idle nodes forgotten', 'counter', m.nodesEvicted],
    ['spinwise_analyses_in_flight', 'Windows being modelled now', 'gauge', m.analysesInFlight],
    [
      'spinwise_store_points_dropped_total',
      'Points dropped because the store failed with the buffer full',
      'counter',
      services.core.pointsDropped,
    ],
    [
      'spinwise_kafka_consumers_replaced_total',
      'Sample consumers replaced after a crash kafkajs does not restart',
      'counter',
      services.core.consumerHealth()?.replaced ?? 0,
    ],
    [
      'spinwise_ready',
      '1 when /readyz answers 200 (serving)',
      'gauge',
      services.core.readiness().ready ? 1 : 0,
    ],
    [
      'spinwise_store_write_failures_total',
      'Failed store writes (points kept for retry)',
      'counter',
      m.storeWriteFailures,
    ],
    [
      'spinwise_planner_leader',
      '1 if this replica runs the cluster planner',
      'gauge',
      services.planner.isLeader() ? 1 : 0,
    ],
    ['spinwise_planner_plans_total', 'Cluster plans made by this replica', 'counter', services.planner.plans],
    ['spinwise_nodes', 'Nodes owned by this replica', 'gauge', services.core.ownedNodeNames().length],
    [
      'spinwise_fleet_nodes',
      'Nodes of the whole fleet this replica shows',
      'gauge',
      services.fleet.nodeCount(),
    ],
    [
      'spinwise_fleet_messages_skipped_total',
      'Findings, analyses, alerts or plans the fleet view could not read',
      'counter',
      services.fleet.skipped,
    ],
    ['spinwise_dashboard_listeners', 'Open live-update streams', 'gauge', services.live.listenerCount],
  ];
  if (services.slack) {
    const c = services.slack.counters;
    metrics.push(
      ['spinwise_slack_sent_total', 'Slack messages delivered', 'counter', c.sent],
      [
        'spinwise_slack_suppressed_total',
        'Slack messages suppressed (repeat or rate limit)',
        'counter',
        c.suppressed,
      ],
      ['spinwise_slack_retried_total', 'Slack delivery retries', 'counter', c.retried],
      ['spinwise_slack_failed_total', 'Slack messages given up after every retry', 'counter', c.failed],
    );
  }
  return metrics;
}
