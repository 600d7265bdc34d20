import type { KubeConfig } from '@kubernetes/client-node';
import type { Log } from '../../adapters/log/log';
import { ClusterWatch } from '../../adapters/kubernetes/cluster-watch';
import { ClusterWriter } from '../../adapters/kubernetes/cluster-writer';
import { LeaseLeader } from '../../adapters/kubernetes/lease-leader';
import type { NodeAnalysis, RecommendationMessage } from '../../telemetry';
import type { AlertEvent } from '../http/api-types';
import { KubernetesPublisher, type KubernetesPublisherOptions } from './kubernetes-publisher';
import type { ResultSink } from './result-sink';
import type { NodeInventories } from '../ingest/node-inventories';
import type { LeaderElection } from '../planner/leader-election';

/**
 * What the advisor asks of the cluster it runs in: who leads the planner, how many CPUs a node
 * may give its pods, and a place to show conclusions (Events, annotations, migrations). Outside a
 * cluster there is none; the advisor then leads by consumer group and shows nothing. It is one of
 * the advisor's result sinks.
 */
export interface ClusterGateway extends ResultSink {
  readonly leader: LeaderElection;
  allocatableCpusOf(node: string): number | undefined;
  /** The cluster's Nodes, or null while the watch has not listed any (never "every node is gone"). */
  nodeNames(): ReadonlySet<string> | null;
  analysis(analysis: NodeAnalysis): Promise<void>;
  alert(alert: AlertEvent): Promise<void>;
  plan(moves: RecommendationMessage[]): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface KubernetesGatewayOptions extends KubernetesPublisherOptions {
  kc: KubeConfig;
  /** The advisor's own namespace (its Lease lives there). */
  namespace: string;
  /** This replica (the pod name). */
  identity: string;
}

/** The gateway to a real Kubernetes API: a watch of Nodes and VMIs, a Lease, and the publisher. */
export class KubernetesGateway implements ClusterGateway {
  readonly leader: LeaderElection;
  private readonly watch: ClusterWatch;
  private readonly publisher: KubernetesPublisher;

  constructor(options: KubernetesGatewayOptions, inventories: NodeInventories, log?: Log) {
    const { kc, namespace, identity } = options;
    this.watch = new ClusterWatch(kc, log);
    this.leader = new LeaseLeader(kc, { namespace, identity, log });
    this.publisher = new KubernetesPublisher(
      new ClusterWriter(kc, identity),
      (n) => inventories.get(n),
      options,
      (n) => this.watch.vmisOn(n),
    );
  }

  allocatableCpusOf(node: string): number | undefined {
    return this.watch.allocatableCpusOf(node);
  }

  nodeNames(): ReadonlySet<string> | null {
    const nodes = this.watch.nodes();
    return nodes.length === 0 ? null : new Set(nodes.map((n) => n.name));
  }

  analysis(analysis: NodeAnalysis): Promise<void> {
    return this.publisher.onAnalysis(analysis);
  }

  alert(alert: AlertEvent): Promise<void> {
    return this.publisher.onAlert(alert);
  }

  plan(moves: RecommendationMessage[]): Promise<void> {
    return this.publisher.onPlan(moves);
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  stop(): Promise<void> {
    return this.watch.stop();
  }
}
