import type { OutgoingRecord, Sink } from './sink';

/** `--stdout`: one JSON document per line, samples and inventories alike. */
export class StdoutSink implements Sink {
  lastDeliveredMs: number | null = null;
  constructor(private readonly out: (text: string) => void) {}

  write(records: OutgoingRecord[]): void {
    for (const r of records) this.out(`${r.value}\n`);
    this.lastDeliveredMs = Date.now();
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
