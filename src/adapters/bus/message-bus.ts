import type { TopicSpec } from '../../telemetry';

/**
 * The message bus seen by spinwise: Kafka in production, an in-process bus on embedded defaults.
 * Both honour the same contract (test/adapters/bus-contract.ts): per-key order within a partition,
 * consumer groups that split partitions, offsets committed only after the handler finished.
 */
export interface OutgoingMessage {
  /** Node name; decides the partition (murmur2, as Kafka's Java client does). */
  key: string | null;
  /** null: a tombstone, which removes the key from a compacted topic (received as an empty value). */
  value: Buffer | null;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Decimal string, as Kafka offsets are 64-bit. */
  offset: string;
  key: string | null;
  value: Buffer;
  timestampMs: number;
}

/** Must not throw for bad data (route it to the dead-letter topic); a throw means "retry this message". */
export type MessageHandler = (message: BusMessage) => Promise<void>;

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest message, or only new ones. */
  fromBeginning: boolean;
  /**
   * Do not commit what the handler finished: the caller commits with `commit()` once the messages'
   * effects are durable elsewhere. A new owner of a partition restarts at the last commit, so what
   * was handled but not committed is delivered again.
   */
  holdCommits?: boolean;
  /**
   * Partitions handled at once (Kafka; the embedded bus always delivers partitions concurrently).
   * Order within a partition is kept either way.
   */
  concurrentPartitions?: number;
  /**
   * Awaited after the handler took a fetched batch and before its offsets are committed (the
   * embedded bus's batch is one message): where effects gathered over a batch are made durable.
   * A throw fails the batch, which is delivered again.
   */
  afterBatch?: () => Promise<void>;
  /**
   * A group of one process that reads everything from the beginning each start (a fleet view,
   * the inventory reader): removed from the broker when the consumer stops, so restarts leave no
   * stale groups behind.
   */
  ephemeral?: boolean;
}

/** "The next message to read from this partition is `offset`", with what its next owner should know. */
export interface CommitPosition {
  topic: string;
  partition: number;
  offset: string;
  /** Kept with the commit (Kafka: up to offset.metadata.max.bytes, 4,096 by default). */
  metadata?: string;
}

export interface TopicPartitions {
  [topic: string]: number[];
}

export interface BusProducer {
  /** Resolves once the bus acknowledged every message (Kafka: all in-sync replicas). */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface BusConsumer {
  /** Joins the group; resolves once this member holds its first assignment. */
  start(handler: MessageHandler): Promise<void>;
  /** Finishes the message in hand, commits, and leaves the group so others take over. */
  stop(): Promise<void>;
  assignment(): TopicPartitions;
  /** Commits positions of partitions this member owns (with `holdCommits`); others are ignored. */
  commit(positions: CommitPosition[]): Promise<void>;
  /** The group's committed metadata per partition of `topic` (null where none was committed). */
  committedMetadata(topic: string): Promise<Map<number, string | null>>;
  /** Whether this member is in its group and fetching: what readiness is made of. */
  health(): ConsumerHealth;
}

export interface ConsumerHealth {
  /** In the group with an assignment (false while rebalancing, after a crash or a stop). */
  member: boolean;
  /** Why the consumer last crashed for good, until a replacement joins the group. */
  crashed: string | null;
  /** Consumers replaced after such a crash. */
  replaced: number;
  /** Wall time of the last fetch from the broker (with or without messages). */
  lastFetchWallMs: number | null;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'embedded';
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  producer(): BusProducer;
  consumer(options: ConsumerOptions): BusConsumer;
  close(): Promise<void>;
}
