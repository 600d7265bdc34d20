import type { MessageBus } from '../../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import type { AdvisorOptions } from '../ingest/advisor-core';
import type { KubernetesGatewayOptions } from '../outputs/cluster-gateway';
import type { ResultSink } from '../outputs/result-sink';
import type { ClusterPlannerOptions } from '../planner/cluster-planner';
import type { LeaderElection } from '../planner/leader-election';

export interface AdvisorRuntimeOptions extends AdvisorOptions {
  port: number;
  host?: string;
  /** Bearer token for state-changing endpoints; unset turns them off. */
  apiToken?: string;
  slackWebhookUrl?: string;
  /** Where operators reach the dashboard (links in Slack); default the listening address. */
  publicUrl?: string;
  planner?: ClusterPlannerOptions;
  /** Default: a Kubernetes Lease in a cluster, else leadership by consumer group on the bus. */
  leader?: LeaderElection;
  /** Consumers of the advisor's results of the caller's own (the CLI's console, a test). */
  sinks?: ResultSink[];
  /** In a cluster: Events, node annotations, VMI migrations and the planner's Lease. */
  kubernetes?: KubernetesGatewayOptions;
  /** How long stopping may take (default 25 s); on a signal the process exits at that point. */
  shutdownTimeoutMs?: number;
}

/** What `AdvisorModule.forRoot` is given: the adapters it runs over and its options. */
export interface AdvisorConfig {
  bus: MessageBus;
  store: TimeSeriesStore;
  options: AdvisorRuntimeOptions;
  /** The application owns the bus and the store: it closes them when it stops (the CLI's case). */
  ownsAdapters?: boolean;
}
