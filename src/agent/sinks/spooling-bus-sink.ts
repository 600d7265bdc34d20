import type { BusProducer } from '../../adapters/bus/message-bus';
import type { DiskSpool } from './disk-spool';
import type { OutgoingRecord, Sink } from './sink';

/** How many spooled messages go to the broker in one send. */
const BATCH = 500;

/**
 * Every record is fsync'd to the disk spool first, then drained to the bus in order; a record
 * leaves the spool only after the broker acknowledged it. While the broker is away the spool
 * grows (bounded); when it returns, the backlog drains before anything newer.
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
  ) {}

  write(records: OutgoingRecord[]): void {
    const refused = this.spool.append(records);
    if (refused > 0)
      this.onError(
        `spool full (${this.spool.maxBytes} bytes): dropped ${refused} message(s), ${this.spool.dropped} in all`,
      );
    this.kick();
  }

  /** Starts a drain unless one runs. */
  kick(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.spool.pendingBytes > 0) {
      const { messages, sizes } = this.spool.peek(BATCH);
      // One send per run of one topic, committed on its own: a failure never resends what was acknowledged.
      let end = 0;
      while (end < messages.length && messages[end]!.topic === messages[0]!.topic) end++;
      try {
        await this.producer.send(
          messages[0]!.topic,
          messages.slice(0, end).map((m) => ({ key: m.key, value: Buffer.from(m.value) })),
        );
      } catch (err) {
        this.lastError = (err as Error).message;
        this.onError(
          `broker unreachable, ${this.spool.pendingBytes} bytes stay in the spool: ${this.lastError}`,
        );
        return;
      }
      this.lastError = null;
      this.spool.commit(sizes.slice(0, end).reduce((a, b) => a + b, 0));
      this.sent += end;
      this.lastDeliveredMs = Date.now();
    }
  }

  async flush(): Promise<void> {
    await this.kick();
  }

  async close(): Promise<void> {
    await this.draining;
    await this.producer.close();
  }
}
