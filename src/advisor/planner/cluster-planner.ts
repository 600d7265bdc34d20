import type { Log } from '../../adapters/log/log';
import type { BusProducer, MessageBus, OutgoingMessage } from '../../adapters/bus/message-bus';
import {
  codecs,
  TOPICS,
  type NodeAnalysis,
  type NodeInventory,
  type RecommendationMessage,
} from '../../telemetry';
import type { LeaderElection } from './leader-election';
import type { PlannerNode, PlannerOptions } from './plan-moves';

export interface ClusterPlannerOptions extends PlannerOptions {
  /** How often the leader plans (default 5 minutes). */
  intervalMs?: number;
  /** How long a node is absent from the cluster before it is forgotten (default 24 h). */
  forgetNodesAfterMs?: number;
  log?: Log;
  onPlan?: (moves: RecommendationMessage[]) => void;
  /** The leader's other duty each round: tombstones for nodes gone from the cluster (NodeReaper). */
  tombstones?: (nowMs: number) => { topic: string; message: OutgoingMessage }[];
}

/**
 * Only the elected leader plans, from every node's newest analysis (the fleet view, which every
 * replica keeps), and publishes the plan on spinwise.recommendations.v1.
 */
export class ClusterPlanner {
  private producer: BusProducer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private planning: Promise<void> | null = null;
  lastPlan: { atMs: number; moves: RecommendationMessage[] } | null = null;
  plans = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly leader: LeaderElection,
    /** Every node's newest analysis, whichever replica made it. */
    private readonly analyses: () => NodeAnalysis[],
    private readonly inventoryOf: (node: string) => NodeInventory | undefined,
    /** Runs planMoves (off the main thread: see ModelPool). */
    private readonly plan: (
      nodes: PlannerNode[],
      options: PlannerOptions,
    ) => Promise<RecommendationMessage[]>,
    private readonly options: ClusterPlannerOptions = {},
    /** In a cluster: the Node's allocatable CPUs, from the Kubernetes watch. */
    private readonly allocatableCpusOf?: (node: string) => number | undefined,
  ) {}

  async start(): Promise<void> {
    this.producer = this.bus.producer();
    await this.leader.start();
    this.timer = setInterval(() => void this.planIfLeader(), this.options.intervalMs ?? 300_000);
  }

  /** Sends the round's tombstones, one send per topic; a failure waits for the next round. */
  private async sendTombstones(): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, message } of this.options.tombstones?.(Date.now()) ?? [])
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    for (const [topic, messages] of byTopic)
      await this.producer!.send(topic, messages).catch((err: Error) =>
        this.options.log?.(`planner: tombstones on ${topic} not sent: ${err.message}`, 'warn'),
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
      const nodes = this.analyses()
        .sort((a, b) => a.node.localeCompare(b.node))
        .flatMap((analysis) => {
          const inventory = this.inventoryOf(analysis.node);
          return inventory
            ? [{ inventory, analysis, allocatableCpus: this.allocatableCpusOf?.(analysis.node) }]
            : [];
        });
      if (nodes.length < 2) return;
      const { maxOversubscription, maxMoves, breadth, minGain, seeds } = this.options;
      moves = await this.plan(nodes, {
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
      this.options.onPlan?.(moves);
    })()
      .catch((err: Error) => this.options.log?.(`planner: ${err.message}`, 'warn'))
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
