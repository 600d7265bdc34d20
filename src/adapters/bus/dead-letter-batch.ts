import { TOPICS } from '../../telemetry';
import type { BusProducer, OutgoingMessage } from './message-bus';

/** Past these, a handler waits for the batch to go out before taking more (memory stays bounded). */
const MAX_PENDING = 500;
const MAX_PENDING_BYTES = 512 * 1024;

/**
 * Dead letters gathered over a fetched batch and sent as one acknowledged request: one acks=all
 * round trip per refused message held hostile input to ~190 messages/s. Whoever commits the
 * refused messages' offsets flushes first (the consumer's `afterBatch`, a held commit), so a dead
 * letter is durable before its source offset is committed.
 */
export class DeadLetterBatch {
  private pending: OutgoingMessage[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: BusProducer,
    private readonly onSent: (count: number) => void = () => undefined,
  ) {}

  /** Queues `message`; resolves at once unless too much waits already, then after a flush. */
  async add(message: OutgoingMessage): Promise<void> {
    this.pending.push(message);
    this.pendingBytes += message.value?.length ?? 0;
    if (this.pending.length >= MAX_PENDING || this.pendingBytes >= MAX_PENDING_BYTES) await this.flush();
  }

  /** Sends everything queued, in order; on failure the letters stay queued (and this rejects). */
  flush(): Promise<void> {
    const next = this.flushing
      .catch(() => undefined)
      .then(async () => {
        if (this.pending.length === 0) return;
        const batch = this.pending;
        this.pending = [];
        this.pendingBytes = 0;
        try {
          await this.producer.send(TOPICS.deadLetter, batch);
        } catch (err) {
          this.pending = [...batch, ...this.pending];
          this.pendingBytes = this.pending.reduce((n, m) => n + (m.value?.length ?? 0), 0);
          throw err;
        }
        this.onSent(batch.length);
      });
    this.flushing = next;
    return next;
  }
}
