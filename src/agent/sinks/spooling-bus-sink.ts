import type { BusProducer } from '../../adapters/bus/message-bus';
import type { DiskSpool } from './disk-spool';
import type { OutgoingRecord, Sink } from './sink';

/** How many spooled messages go to the broker in one send. */
const BATCH = 500;

/**
 * Kafka's answers that refuse a message for good (kafkajs carries the protocol error's `type`,
 * possibly under `cause` or `originalError` when its retrier wrapped it): resending never helps,
 * and holding the message would block every one behind it.
 */
const REFUSED = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'RECORD_LIST_TOO_LARGE']);

function refusal(err: unknown): string | null {
  for (
    let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.type === 'string' && REFUSED.has(e.type)) return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return null;
}

/**
 * Every record is fsync'd to the disk spool first, then drained to the bus in order; a record
 * leaves the spool only after the broker acknowledged it, or refused it for good (counted as
 * dropped with the broker's reason). While the broker is away the spool grows (bounded); when it
 * returns, the backlog drains before anything newer.
 */
export class SpoolingBusSink implements Sink {
  private draining: Promise<void> | null = null;
  lastError: string | null = null;
  sent = 0;
  lastDeliveredMs: number | null = null;

  constructor(
    private readonly producer: BusProducer,
    readonly spool: DiskSpool,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    this.report();
  }

  write(records: OutgoingRecord[]): void {
    const dropped = this.spool.append(records);
    if (dropped > 0)
      this.onError(`dropped ${dropped} message(s) (${this.spool.dropReason}); ${this.spool.dropped} in all`);
    this.report();
    void this.kick();
  }

  /** What the spool noticed (quarantine, the disk refusing or back), logged once each. */
  private report(): void {
    for (const notice of this.spool.notices.splice(0)) this.onError(notice);
  }

  /** Starts a drain unless one runs. */
  kick(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    // After a refused batch, one message at a time until the refused one is found and dropped.
    let batchSize = BATCH;
    while (this.spool.pendingBytes > 0) {
      const { messages } = this.spool.peek(batchSize);
      if (messages.length === 0) break;
      // One send per run of one topic, committed on its own: a failure never resends what was acknowledged.
      let end = 0;
      while (end < messages.length && messages[end]!.topic === messages[0]!.topic) end++;
      const batch = messages.slice(0, end);
      try {
        await this.producer.send(
          batch[0]!.topic,
          batch.map((m) => ({ key: m.key, value: Buffer.from(m.value) })),
        );
      } catch (err) {
        const refused = refusal(err);
        if (refused && batch.length > 1) {
          this.spool.release();
          batchSize = 1;
          continue;
        }
        if (refused) {
          // Refused for good: counted, and out of the way of everything behind it.
          this.spool.commit(1);
          this.spool.drop(1, `the broker refused a message of ${batch[0]!.value.length} bytes (${refused})`);
          this.onError(
            `broker refused a message for good (${refused}); dropped, ${this.spool.dropped} in all`,
          );
          batchSize = BATCH;
          continue;
        }
        this.spool.release();
        this.lastError = (err as Error).message;
        this.onError(
          `broker unreachable, ${this.spool.pendingBytes} bytes stay in the spool: ${this.lastError}`,
        );
        return;
      }
      this.lastError = null;
      this.spool.commit(end);
      this.sent += end;
      this.lastDeliveredMs = Date.now();
    }
    this.report();
  }

  async flush(): Promise<void> {
    await this.kick();
  }

  async close(): Promise<void> {
    await this.draining;
    const held = this.spool.heldInMemory;
    if (held > 0) {
      this.spool.drop(
        held,
        `stopped with messages held in memory (the disk refused them: ${this.spool.diskError})`,
      );
      this.onError(
        `${held} message(s) held in memory are lost at stop: the spool's disk refused them (${this.spool.diskError})`,
      );
    }
    this.report();
    await this.producer.close();
  }
}
