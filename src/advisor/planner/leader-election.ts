import type { BusConsumer, MessageBus } from '../../adapters/bus/message-bus';
import { TOPICS } from '../../telemetry';

/** Who runs the cluster planner: exactly one replica at a time. */
export interface LeaderElection {
  start(): Promise<void>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Leadership by consumer group: every replica joins one group on a single-partition topic, and the
 * member the group gives that partition leads. Kafka's group coordinator does the election and
 * hands the partition (so the lead) to another member when the leader leaves or dies.
 */
export class ConsumerGroupLeader implements LeaderElection {
  private consumer: BusConsumer | null = null;

  constructor(
    private readonly bus: MessageBus,
    private readonly groupId = 'spinwise-planner-leader',
    private readonly topic: string = TOPICS.recommendations,
  ) {}

  async start(): Promise<void> {
    this.consumer = this.bus.consumer({ groupId: this.groupId, topics: [this.topic], fromBeginning: false });
    // The messages themselves are not this member's business; holding partition 0 is.
    await this.consumer.start(async () => undefined);
  }

  isLeader(): boolean {
    return (this.consumer?.assignment()[this.topic] ?? []).includes(0);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }
}
