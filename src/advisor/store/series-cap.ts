import type { Point } from '../../adapters/store/time-series-store';

/**
 * Bounds the distinct store series one node writes: a producer that renames its VMs at every
 * sample would otherwise create series without end (each costs the store an index entry for the
 * whole retention). Counts the series of the last 12–24 h (two generations that rotate every
 * 12 h, so a VM gone for a day stops counting) and refuses points of new ones beyond `max`.
 */
export class SeriesCap {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAtMs: number;

  constructor(
    private readonly max: number,
    nowMs: number,
    private readonly generationMs = 12 * 3_600_000,
  ) {
    this.rotatedAtMs = nowMs;
  }

  /** The points that may be written; `refused` counts the others. */
  filter(points: Point[], nowMs: number): { kept: Point[]; refused: number } {
    if (nowMs - this.rotatedAtMs >= this.generationMs) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAtMs = nowMs;
    }
    const kept: Point[] = [];
    for (const p of points) {
      const key = `${p.measurement}\u0000${Object.values(p.tags).join('\u0000')}`;
      if (!this.current.has(key)) {
        if (this.previous.delete(key)) this.current.add(key);
        else if (this.current.size + this.previous.size < this.max) this.current.add(key);
        else continue;
      }
      kept.push(p);
    }
    return { kept, refused: points.length - kept.length };
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
