import { Inject, Injectable } from '@nestjs/common';
import type { Log } from '../../adapters/log/log';
import type { BusProducer, MessageBus, OutgoingMessage } from '../../adapters/bus/message-bus';
import { codecs, TOPICS, type RecommendationMessage } from '../../telemetry';
import type { AdvisorSettings } from '../app/advisor-config';
import { ADVISOR_SETTINGS, CLUSTER_GATEWAY, MESSAGE_BUS, RESULT_SINKS } from '../app/tokens';
import { AnalysisRunner } from '../analysis/analysis-runner';
import { FleetView } from '../fleet/fleet-view';
import { NodeInventories } from '../ingest/node-inventories';
import type { ClusterGateway } from '../outputs/cluster-gateway';
import { ResultSinks, type ResultSink } from '../outputs/result-sink';
import { ConsumerGroupLeader, type LeaderElection } from './leader-election';
import { NodeReaper } from './node-reaper';
import type { PlannerOptions } from './plan-moves';

export interface ClusterPlannerOptions extends PlannerOptions {
  /** How often the leader plans (default 5 minutes). */
  intervalMs?: number;
  /** How long a node is absent from the cluster before it is forgotten (default 24 h). */
  forgetNodesAfterMs?: number;
}

/**
 * Only the elected leader plans, from every node's newest analysis (the fleet view, which every
 * replica keeps), and publishes the plan on spinwise.recommendations.v1. Its other duty each
 * round: tombstones for nodes gone from the cluster (NodeReaper).
 */
@Injectable()
export class ClusterPlanner {
  private producer: BusProducer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private planning: Promise<void> | null = null;
  lastPlan: { atMs: number; moves: RecommendationMessage[] } | null = null;
  plans = 0;
  private readonly options: AdvisorSettings['planner'];
  /** Default: a Kubernetes Lease in a cluster, else leadership by consumer group on the bus. */
  private readonly leader: LeaderElection;
  private readonly reaper: NodeReaper;
  private readonly sinks: ResultSinks;
  private readonly log: Log;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly fleet: FleetView,
    private readonly inventories: NodeInventories,
    /** Runs planMoves (off the main thread: see ModelPool). */
    private readonly runner: AnalysisRunner,
    @Inject(ADVISOR_SETTINGS) settings: AdvisorSettings,
    @Inject(RESULT_SINKS) sinks: readonly ResultSink[],
    /** In a cluster: the Nodes (what is gone) and their allocatable CPUs. */
    @Inject(CLUSTER_GATEWAY) private readonly gateway: ClusterGateway | null,
  ) {
    this.options = settings.planner;
    this.log = settings.log;
    this.leader = settings.leader ?? gateway?.leader ?? new ConsumerGroupLeader(bus);
    this.reaper = new NodeReaper(this.options.forgetNodesAfterMs);
    this.sinks = new ResultSinks(sinks, this.log);
  }

  async start(): Promise<void> {
    this.producer = this.bus.producer();
    await this.leader.start();
    this.timer = setInterval(() => void this.planIfLeader(), this.options.intervalMs);
  }

  /** Tombstones for nodes gone from the cluster long enough, one send per topic; a failure waits for the next round. */
  private async sendTombstones(): Promise<void> {
    const known = this.fleet.knownNodes();
    for (const n of this.inventories.nodes()) if (!known.has(n)) known.set(n, []);
    const due = this.reaper.due(
      [...known].map(([node, alertKeys]) => ({ node, alertKeys })),
      this.gateway?.nodeNames() ?? null,
      Date.now(),
    );
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const d of due) {
      this.log(`planner: ${d.node} left the cluster; its compacted records are removed`);
      for (const { topic, message } of d.tombstones)
        if (byTopic.has(topic)) byTopic.get(topic)!.push(message);
        else byTopic.set(topic, [message]);
    }
    for (const [topic, messages] of byTopic)
      await this.producer!.send(topic, messages).catch((err: Error) =>
        this.log(`planner: tombstones on ${topic} not sent: ${err.message}`, 'warn'),
      );
  }

  isLeader(): boolean {
    return this.leader.isLeader();
  }

  /** Plans and publishes if this replica leads; resolves when done. */
  async planIfLeader(): Promise<RecommendationMessage[] | null> {
    if (!this.leader.isLeader()) return null;
    await this.sendTombstones();
    if (this.planning) await this.planning;
    let moves: RecommendationMessage[] = [];
    this.planning = (async () => {
      const nodes = this.fleet
        .newestAnalyses()
        .sort((a, b) => a.node.localeCompare(b.node))
        .flatMap((analysis) => {
          const inventory = this.inventories.get(analysis.node);
          return inventory
            ? [{ inventory, analysis, allocatableCpus: this.gateway?.allocatableCpusOf(analysis.node) }]
            : [];
        });
      if (nodes.length < 2) return;
      const { maxOversubscription, maxMoves, breadth, minGain, seeds } = this.options;
      moves = await this.runner.models.plan(nodes, {
        maxOversubscription,
        maxMoves,
        breadth,
        minGain,
        seeds,
        nowMs: Date.now(),
      });
      this.plans++;
      this.lastPlan = { atMs: Date.now(), moves };
      if (moves.length > 0)
        await this.producer!.send(
          TOPICS.recommendations,
          moves.map((m) => ({ key: m.node, value: codecs.recommendation.encode(m) })),
        );
      this.sinks.plan(moves);
    })()
      .catch((err: Error) => this.log(`planner: ${err.message}`, 'warn'))
      .finally(() => {
        this.planning = null;
      });
    await this.planning;
    return moves;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.planning) await this.planning;
    await this.leader.stop();
    await this.producer?.close();
  }
}
