import type { Log } from '../log/log';
import {
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type KafkaConfig,
  type Producer,
} from 'kafkajs';
import type { TopicSpec } from '../../telemetry';
import type {
  BusConsumer,
  ConsumerHealth,
  BusProducer,
  CommitPosition,
  ConsumerOptions,
  MessageBus,
  MessageHandler,
  OutgoingMessage,
  TopicPartitions,
} from './message-bus';

/** Wait before replacing a consumer that kafkajs will not restart. */
const REPLACE_AFTER_MS = 2_000;

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** Copies of each topic spinwise creates; unset or 0: 3, or the broker count when smaller. */
  replicationFactor?: number;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** How long a send keeps retrying while the broker is unreachable before it fails. */
  retryForMs?: number;
  /** kafkajs's own warnings and errors (a broker away, a rebalance), as `kafka <namespace>: …`. */
  log?: Log;
}

/** A topic's configuration as deploy/kafka-topics.sh sets it too (a test keeps them equal). */
export function topicConfig(spec: TopicSpec): { name: string; value: string }[] {
  if (spec.compacted) return [{ name: 'cleanup.policy', value: 'compact' }];
  return spec.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(spec.retentionMs) }];
}

/** Kafka through kafkajs: idempotent gzip producer, consumer groups, offsets committed after handling. */
export class KafkaBus implements MessageBus {
  readonly kind = 'kafka';
  private readonly kafka: Kafka;
  private readonly open = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: KafkaBusOptions) {
    const retryForMs = options.retryForMs ?? 60_000;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'spinwise',
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl,
      // kafkajs's own log, at warn and above, goes through ours; unset, it says nothing.
      logLevel: options.log ? logLevel.WARN : logLevel.NOTHING,
      logCreator:
        () =>
        ({ namespace, level, log }) =>
          options.log?.(`kafka ${namespace}: ${log.message}`, level === logLevel.ERROR ? 'error' : 'warn'),
      // Capped exponential backoff: about `retryForMs` of attempts while the broker is away.
      retry: {
        initialRetryTime: 100,
        maxRetryTime: 2_000,
        retries: Math.max(5, Math.ceil(retryForMs / 2_000)),
      },
    });
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      // Unset: 3 copies, or one per broker on a smaller cluster (1 on a single dev broker).
      const replicationFactor =
        this.options.replicationFactor || Math.min(3, (await admin.describeCluster()).brokers.length);
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor,
          configEntries: topicConfig(s),
        })),
      });
    } finally {
      await admin.disconnect();
    }
  }

  producer(): BusProducer {
    const producer: Producer = this.kafka.producer({
      // Idempotence: a retried batch is written once even if the first attempt reached the broker.
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    let connected: Promise<void> | undefined;
    const handle: BusProducer = {
      send: async (topic, messages: OutgoingMessage[]) => {
        await (connected ??= producer.connect());
        await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
      },
      close: async () => {
        this.open.delete(handle);
        await producer.disconnect();
      },
    };
    this.open.add(handle);
    return handle;
  }

  consumer(options: ConsumerOptions): BusConsumer {
    let assigned: TopicPartitions = {};
    const health: ConsumerHealth = { member: false, crashed: null, lastFetchWallMs: null, replaced: 0 };
    let handler: MessageHandler | undefined;
    let stopped = false;
    let replacing: NodeJS.Timeout | undefined;

    // kafkajs restarts a consumer itself only after a retriable crash; after any other (a group
    // coordinator not found while the broker comes back, seen here) that consumer is dead for good
    // (kafkajs issue #1445). Such a consumer is replaced by a new one in the same group.
    const spawn = (): Consumer => {
      const c = this.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: false,
      });
      c.on(c.events.GROUP_JOIN, (event) => {
        assigned = event.payload.memberAssignment;
        health.member = true;
        health.crashed = null;
      });
      c.on(c.events.REBALANCING, () => (health.member = false));
      c.on(c.events.STOP, () => (health.member = false));
      c.on(c.events.FETCH, () => (health.lastFetchWallMs = Date.now()));
      c.on(c.events.CRASH, (event) => {
        health.member = false;
        if (event.payload.restart || stopped) return;
        health.crashed = event.payload.error.message;
        replacing = setTimeout(() => void replace(c), REPLACE_AFTER_MS);
      });
      return c;
    };

    const run = async (c: Consumer, onMessage: MessageHandler) => {
      await c.connect();
      await c.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
      await c.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.concurrentPartitions ?? 1,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          let handled: string | undefined;
          try {
            for (const m of batch.messages) {
              if (!payload.isRunning() || payload.isStale()) break;
              // kafkajs heartbeats only when asked: keep the session alive through a long handler
              // (a rebalance error here surfaces again at the heartbeat after the message).
              const beating = setInterval(() => void payload.heartbeat().catch(() => undefined), 1_000);
              await onMessage({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                key: m.key ? m.key.toString('utf8') : null,
                value: m.value ?? Buffer.alloc(0),
                timestampMs: Number(m.timestamp),
              }).finally(() => clearInterval(beating));
              payload.resolveOffset(m.offset);
              handled = m.offset;
              await payload.heartbeat();
            }
          } finally {
            await options.afterBatch?.();
            // Commit what was handled, even when a later message threw: it is not redelivered.
            if (handled !== undefined && !options.holdCommits) {
              await c.commitOffsets([
                { topic: batch.topic, partition: batch.partition, offset: (BigInt(handled) + 1n).toString() },
              ]);
            }
          }
        },
      });
    };

    let consumer = spawn();
    const replace = async (dead: Consumer) => {
      if (stopped || dead !== consumer || !handler) return;
      await dead.disconnect().catch(() => undefined);
      // Stopped while the dead one disconnected: no new consumer outlives stop().
      if (stopped) return;
      consumer = spawn();
      health.replaced++;
      // A failure to start again is another crash or a refused connect: try again later.
      await run(consumer, handler).catch(() => {
        const next = consumer;
        if (!stopped) replacing = setTimeout(() => void replace(next), REPLACE_AFTER_MS);
      });
    };

    const handle = {
      start: async (onMessage: MessageHandler) => {
        handler = onMessage;
        const first = consumer;
        const joined = new Promise<void>((resolve) => first.on(first.events.GROUP_JOIN, () => resolve()));
        await run(first, onMessage);
        await joined;
      },
      stop: async () => {
        stopped = true;
        clearTimeout(replacing);
        this.open.delete(closer);
        await consumer.disconnect();
        if (options.ephemeral) await this.deleteGroup(options.groupId);
      },
      assignment: () => assigned,
      health: () => ({ ...health }),
      commit: async (positions: CommitPosition[]) => {
        const mine = positions.filter((p) => assigned[p.topic]?.includes(p.partition));
        if (mine.length > 0) await consumer.commitOffsets(mine);
      },
      committedMetadata: async (topic: string) => {
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          const [offsets] = await admin.fetchOffsets({ groupId: options.groupId, topics: [topic] });
          return new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.metadata ?? null]));
        } finally {
          await admin.disconnect();
        }
      },
    };
    const closer = { close: handle.stop };
    this.open.add(closer);
    return handle;
  }

  /** Best effort: a group the broker keeps (no Delete grant, broker away) only costs its metadata. */
  private async deleteGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch (err) {
      this.options.log?.(`kafka: consumer group ${groupId} not removed: ${(err as Error).message}`, 'warn');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close()));
  }
}
