import type { NodeSample } from '../../telemetry';

export type Admission = 'accepted' | 'duplicate' | 'late';

/**
 * One node's rolling window of samples, ordered by the agent's sequence number. Duplicates (the
 * same seq again, e.g. a redelivery after a consumer rebalance) are absorbed; a seq older than the
 * window's oldest is late and refused; missing seqs are counted as gaps, never invented.
 */
export class NodeWindow {
  private readonly samples: NodeSample[] = [];
  /** Highest seq ever accepted. */
  private highest = -1;
  gaps = 0;
  duplicates = 0;
  late = 0;

  constructor(
    readonly node: string,
    readonly windowMs: number,
  ) {}

  add(sample: NodeSample): Admission {
    if (this.samples.some((s) => s.seq === sample.seq)) {
      this.duplicates++;
      return 'duplicate';
    }
    const oldest = this.samples[0];
    if (oldest && sample.seq < oldest.seq && sample.timestampMs < oldest.timestampMs) {
      this.late++;
      return 'late';
    }
    if (this.highest >= 0 && sample.seq > this.highest + 1) this.gaps += sample.seq - this.highest - 1;
    if (sample.seq < this.highest) this.gaps = Math.max(0, this.gaps - 1); // a straggler fills a gap
    this.highest = Math.max(this.highest, sample.seq);
    const at = this.samples.findIndex((s) => s.seq > sample.seq);
    if (at < 0) this.samples.push(sample);
    else this.samples.splice(at, 0, sample);
    this.evict();
    return 'accepted';
  }

  private evict(): void {
    const newest = this.samples[this.samples.length - 1];
    if (!newest) return;
    while (this.samples.length > 0 && this.samples[0]!.timestampMs <= newest.timestampMs - this.windowMs)
      this.samples.shift();
  }

  /** The samples now in the window, in seq order. */
  contents(): readonly NodeSample[] {
    return this.samples;
  }

  /** Milliseconds the window's samples cover (sum of their intervals). */
  coveredMs(): number {
    return this.samples.reduce((a, s) => a + s.intervalMs, 0);
  }
}
