import type { TopicSpec } from '../../telemetry';
import type {
  BusConsumer,
  BusMessage,
  BusProducer,
  ConsumerOptions,
  MessageBus,
  MessageHandler,
  OutgoingMessage,
  TopicPartitions,
} from './message-bus';
import { partitionForKey } from './murmur2-partitioner';
import { Notifier } from './notifier';

interface Partition {
  log: BusMessage[];
  appended: Notifier;
}

interface Member {
  id: number;
  topics: string[];
  handler: MessageHandler;
  afterBatch: ConsumerOptions['afterBatch'];
  owned: Set<string>;
  holdCommits: boolean;
  inFlight: number;
  idle: Notifier;
}

/** Delay before a message whose handler threw is delivered again (Kafka restarts from the last commit). */
const REDELIVERY_DELAY_MS = 100;

/**
 * One consumer group: the committed offset and delivery position of each partition, the members,
 * and one delivery loop per partition. A loop hands the next message to whichever member owns the
 * partition *now* and commits it when the handler returns (unless the member holds its commits), so
 * a rebalance never loses or repeats a committed message; a new owner starts at the last commit.
 */
class Group {
  readonly members: Member[] = [];
  readonly committed = new Map<string, number>();
  readonly metadata = new Map<string, string | null>();
  private readonly position = new Map<string, number>();
  readonly changed = new Notifier();
  private readonly loops = new Set<string>();
  closed = false;

  constructor(
    private readonly bus: EmbeddedBus,
    readonly id: string,
  ) {}

  join(member: Member, fromBeginning: boolean): void {
    this.members.push(member);
    for (const topic of member.topics) {
      this.bus.partitionsOf(topic).forEach((partition, index) => {
        const tp = `${topic}/${index}`;
        if (!this.committed.has(tp)) this.committed.set(tp, fromBeginning ? 0 : partition.log.length);
        if (!this.position.has(tp)) this.position.set(tp, this.committed.get(tp)!);
        if (!this.loops.has(tp)) {
          this.loops.add(tp);
          void this.deliver(tp, partition);
        }
      });
    }
    this.rebalance();
  }

  async leave(member: Member): Promise<void> {
    const at = this.members.indexOf(member);
    if (at >= 0) this.members.splice(at, 1);
    this.rebalance();
    while (member.inFlight > 0) await member.idle.wait();
  }

  /** Round-robin over the members subscribed to each topic, in join order (like Kafka's RoundRobinAssignor). */
  private rebalance(): void {
    const before = new Map([...this.loops].map((tp) => [tp, this.owner(tp)]));
    for (const m of this.members) m.owned.clear();
    for (const tp of this.loops) {
      const topic = tp.slice(0, tp.lastIndexOf('/'));
      const subscribed = this.members.filter((m) => m.topics.includes(topic));
      if (subscribed.length === 0) continue;
      const index = Number(tp.slice(tp.lastIndexOf('/') + 1));
      subscribed[index % subscribed.length]!.owned.add(tp);
    }
    // Kafka: a partition's new owner fetches from the committed offset, not from where the old one was.
    for (const tp of this.loops)
      if (this.owner(tp) !== before.get(tp)) this.position.set(tp, this.committed.get(tp)!);
    this.changed.notifyAll();
  }

  commit(member: Member, tp: string, offset: number, metadata: string | null): void {
    if (!member.owned.has(tp)) return;
    this.committed.set(tp, offset);
    this.metadata.set(tp, metadata);
  }

  private owner(tp: string): Member | undefined {
    return this.members.find((m) => m.owned.has(tp));
  }

  private async deliver(tp: string, partition: Partition): Promise<void> {
    while (!this.closed) {
      const offset = this.position.get(tp)!;
      const owner = this.owner(tp);
      const message = partition.log[offset];
      if (!owner || !message) {
        await Promise.race([partition.appended.wait(), this.changed.wait()]);
        continue;
      }
      owner.inFlight++;
      try {
        await owner.handler(message);
        await owner.afterBatch?.();
        // A rebalance during the handler moved the position back to the commit: keep it there.
        if (this.owner(tp) === owner) {
          this.position.set(tp, offset + 1);
          if (!owner.holdCommits) this.committed.set(tp, offset + 1);
        }
      } catch {
        await new Promise((r) => setTimeout(r, REDELIVERY_DELAY_MS));
      } finally {
        owner.inFlight--;
        if (owner.inFlight === 0) owner.idle.notifyAll();
      }
    }
  }
}

/**
 * In-process bus with Kafka's topic/partition/key/offset/consumer-group semantics, for
 * `spinwise demo` and for running without a broker. Nothing is persisted: a restart forgets all.
 * Compacted topics keep every message (compaction only saves space; readers see the newest per key last).
 */
export class EmbeddedBus implements MessageBus {
  readonly kind = 'embedded';
  private readonly topics = new Map<string, Partition[]>();
  private readonly groups = new Map<string, Group>();
  private nextMemberId = 1;

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (this.topics.has(spec.name)) continue;
      this.topics.set(
        spec.name,
        Array.from({ length: spec.partitions }, () => ({ log: [], appended: new Notifier() })),
      );
    }
  }

  partitionsOf(topic: string): Partition[] {
    const partitions = this.topics.get(topic);
    if (!partitions)
      throw new Error(`embedded bus: topic "${topic}" does not exist (create it with ensureTopics)`);
    return partitions;
  }

  /** Appends synchronously; the returned acknowledgement means the message is in the log. */
  append(topic: string, messages: OutgoingMessage[]): void {
    const partitions = this.partitionsOf(topic);
    const touched = new Set<Partition>();
    messages.forEach((m, i) => {
      // Kafka's default partitioner spreads key-less messages; round-robin within the batch does the same.
      const index = m.key === null ? i % partitions.length : partitionForKey(m.key, partitions.length);
      const partition = partitions[index]!;
      partition.log.push({
        topic,
        partition: index,
        offset: String(partition.log.length),
        key: m.key,
        value: m.value ?? Buffer.alloc(0),
        timestampMs: Date.now(),
      });
      touched.add(partition);
    });
    for (const p of touched) p.appended.notifyAll();
  }

  producer(): BusProducer {
    return {
      send: async (topic, messages) => this.append(topic, messages),
      close: async () => undefined,
    };
  }

  consumer(options: ConsumerOptions): BusConsumer {
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = new Group(this, options.groupId);
      this.groups.set(options.groupId, group);
    }
    const joined = group;
    let member: Member | undefined;
    return {
      start: async (handler) => {
        for (const topic of options.topics) this.partitionsOf(topic);
        member = {
          id: this.nextMemberId++,
          topics: options.topics,
          handler,
          afterBatch: options.afterBatch,
          owned: new Set(),
          holdCommits: options.holdCommits ?? false,
          inFlight: 0,
          idle: new Notifier(),
        };
        joined.join(member, options.fromBeginning);
      },
      stop: async () => {
        if (member) await joined.leave(member);
        member = undefined;
      },
      assignment: () => {
        const out: TopicPartitions = {};
        for (const tp of member?.owned ?? []) {
          const cut = tp.lastIndexOf('/');
          (out[tp.slice(0, cut)] ??= []).push(Number(tp.slice(cut + 1)));
        }
        for (const list of Object.values(out)) list.sort((a, b) => a - b);
        return out;
      },
      commit: async (positions) => {
        for (const p of positions)
          if (member)
            joined.commit(member, `${p.topic}/${p.partition}`, Number(p.offset), p.metadata ?? null);
      },
      health: () => ({
        member: member !== undefined,
        crashed: null,
        replaced: 0,
        lastFetchWallMs: member ? Date.now() : null,
      }),
      committedMetadata: async (topic) =>
        new Map(this.partitionsOf(topic).map((_, i) => [i, joined.metadata.get(`${topic}/${i}`) ?? null])),
    };
  }

  async close(): Promise<void> {
    for (const group of this.groups.values()) {
      group.closed = true;
      group.changed.notifyAll();
    }
  }
}
