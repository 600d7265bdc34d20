import type { WindowSample } from './window-sample';

export type Admission = 'accepted' | 'duplicate' | 'late';

/**
 * One node's rolling window of samples, ordered by the agent's sequence number. Duplicates (the
 * same seq again, e.g. a redelivery after a consumer rebalance) are absorbed; a seq older than the
 * window's oldest is late and refused; missing seqs are counted as gaps, never invented.
 */
export class NodeWindow {
  private readonly samples: WindowSample[] = [];
  /** Highest seq ever accepted. */
  private highest = -1;
  /** The newest timestamp accepted. */
  private newestMs: number | null = null;
  gaps = 0;
  duplicates = 0;
  late = 0;

  constructor(
    readonly node: string,
    readonly windowMs: number,
  ) {}

  add(sample: WindowSample): Admission {
    if (this.samples.some((s) => s.seq === sample.seq)) {
      this.duplicates++;
      return 'duplicate';
    }
    // Late: so old that the window would evict it at once. A straggler within the window's span is
    // taken in, even below its oldest seq (the window may simply have started after it).
    if (this.isLate(sample.timestampMs)) {
      this.late++;
      return 'late';
    }
    if (this.highest >= 0 && sample.seq > this.highest + 1) this.gaps += sample.seq - this.highest - 1;
    if (sample.seq < this.highest) this.gaps = Math.max(0, this.gaps - 1); // a straggler fills a gap
    this.highest = Math.max(this.highest, sample.seq);
    this.newestMs = Math.max(this.newestMs ?? sample.timestampMs, sample.timestampMs);
    const at = this.samples.findIndex((s) => s.seq > sample.seq);
    if (at < 0) this.samples.push(sample);
    else this.samples.splice(at, 0, sample);
    this.evict();
    return 'accepted';
  }

  /** Whether a sample of this timestamp falls outside the window (the newest sample's time minus its span). */
  isLate(timestampMs: number): boolean {
    return this.newestMs !== null && timestampMs <= this.newestMs - this.windowMs;
  }

  private evict(): void {
    if (this.newestMs === null) return;
    const cutMs = this.newestMs - this.windowMs;
    for (let i = this.samples.length - 1; i >= 0; i--)
      if (this.samples[i]!.timestampMs <= cutMs) this.samples.splice(i, 1);
  }

  /** The highest seq accepted (-1 before the first). */
  newestSeq(): number {
    return this.highest;
  }

  /** The samples now in the window, in seq order. */
  contents(): readonly WindowSample[] {
    return this.samples;
  }

  /** Milliseconds the window's samples cover (sum of their intervals). */
  coveredMs(): number {
    return this.samples.reduce((a, s) => a + s.intervalMs, 0);
  }
}
