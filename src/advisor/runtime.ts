import type { ClusterWatch } from '../adapters/kubernetes/cluster-watch';
import type { SlackAlerter } from '../adapters/slack/slack-alerter';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import type { AdvisorCore } from './advisor-core';
import type { FleetView } from './fleet-view';
import type { MetricsExporter } from './http/metrics-exporter';
import type { KubernetesPublisher } from './kubernetes-publisher';
import type { LiveEvents } from './live-events';
import type { ClusterPlanner } from './planner/cluster-planner';

/** Everything the HTTP layer reads from. */
export interface AdvisorRuntime {
  core: AdvisorCore;
  /** The whole fleet, as every replica answers for it. */
  fleet: FleetView;
  /** `/metrics`. */
  metrics: MetricsExporter;
  planner: ClusterPlanner;
  store: TimeSeriesStore;
  live: LiveEvents;
  slack: SlackAlerter | null;
  kubernetes: { publisher: KubernetesPublisher; watch: ClusterWatch } | null;
  url: string;
  stop(): Promise<void>;
}
