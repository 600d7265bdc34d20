import type { BusProducer } from '../../adapters/bus/message-bus';
import type { OutgoingRecord, Sink } from './sink';

/** Straight to a bus, in order, without a spool: for in-process agents on the embedded bus (demo). */
export class BusSink implements Sink {
  private chain: Promise<void> = Promise.resolve();
  lastDeliveredMs: number | null = null;

  constructor(private readonly producer: BusProducer) {}

  write(records: OutgoingRecord[]): void {
    for (const r of records)
      this.chain = this.chain.then(() =>
        this.producer
          .send(r.topic, [{ key: r.key, value: Buffer.from(r.value) }])
          .then(() => void (this.lastDeliveredMs = Date.now())),
      );
  }

  async flush(): Promise<void> {
    await this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
