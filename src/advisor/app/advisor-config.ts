import type { MessageBus } from '../../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import {
  resolveAdvisorOptions,
  type AdvisorOptions,
  type ResolvedAdvisorOptions,
} from '../ingest/advisor-options';
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

/** The advisor's settings with every default filled in (`resolveSettings`): what its services read. */
export type AdvisorSettings = AdvisorRuntimeOptions &
  ResolvedAdvisorOptions & {
    host: string;
    shutdownTimeoutMs: number;
    planner: ClusterPlannerOptions & { intervalMs: number; forgetNodesAfterMs: number };
  };

/** Every default of the advisor's settings, in one place (the core's in `resolveAdvisorOptions`). */
export function resolveSettings(options: AdvisorRuntimeOptions): AdvisorSettings {
  return {
    ...options,
    // This replica's name: its pod's in a cluster, else the host name.
    ...resolveAdvisorOptions({ replica: options.kubernetes?.identity, ...options }),
    host: options.host ?? '127.0.0.1',
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 25_000,
    planner: {
      ...options.planner,
      intervalMs: options.planner?.intervalMs ?? 300_000,
      forgetNodesAfterMs: options.planner?.forgetNodesAfterMs ?? 24 * 3_600_000,
    },
  };
}
