import type { Point, TimeSeriesStore } from '../../adapters/store/time-series-store';

/**
 * Points wait here and go to the store in batches, off the ingest path: a slow or stopped store
 * never holds up ingestion or analysis. A failed batch stays for the next flush; beyond `maxPoints`
 * the oldest are dropped and counted.
 */
export class PointBuffer {
  private pending: Point[] = [];
  dropped = 0;
  /** Since when writes fail without a success in between (null while they succeed). */
  failingSinceWallMs: number | null = null;

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly onError: (err: Error) => void,
    private readonly maxPoints = 500_000,
    private readonly batch = 5_000,
  ) {}

  add(points: Point[]): void {
    this.pending.push(...points);
    const over = this.pending.length - this.maxPoints;
    if (over > 0) {
      this.pending.splice(0, over);
      this.dropped += over;
    }
  }

  /** Points waiting for the store. */
  get size(): number {
    return this.pending.length;
  }

  /** Full: from now on the oldest points are dropped. */
  get full(): boolean {
    return this.pending.length >= this.maxPoints;
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const chunk = this.pending.slice(0, this.batch);
      try {
        await this.store.write(chunk);
      } catch (err) {
        this.failingSinceWallMs ??= Date.now();
        this.onError(err as Error);
        return;
      }
      this.failingSinceWallMs = null;
      this.pending.splice(0, chunk.length);
    }
  }
}
