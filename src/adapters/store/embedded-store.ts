import {
  checkIdentifier,
  checkOptions,
  seriesOrder,
  type AggregateQuery,
  type Point,
  type Series,
  type StoreOptions,
  type TimeSeriesStore,
  type WriteResult,
} from './time-series-store';

type Reducer = (values: number[]) => number;

const REDUCERS: Record<AggregateQuery['aggregate'], Reducer> = {
  mean: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  sum: (v) => v.reduce((a, b) => a + b, 0),
  min: (v) => Math.min(...v),
  max: (v) => Math.max(...v),
  count: (v) => v.length,
  last: (v) => v[v.length - 1]!,
};

/** Writes between two sweeps of points past their retention. */
const SWEEP_EVERY_WRITES = 64;

/**
 * In-memory store with InfluxDB's query and retention semantics, for running without a database.
 * Like InfluxDB's retention enforcement, it drops points past the retention (swept every
 * SWEEP_EVERY_WRITES writes), so an advisor left running on it holds a bounded window, not
 * everything it ever wrote.
 */
export class EmbeddedStore implements TimeSeriesStore {
  readonly kind = 'embedded';
  private readonly points = new Map<string, Point[]>();
  private writesSinceSweep = 0;

  constructor(
    private readonly options: StoreOptions,
    private readonly now: () => number = Date.now,
  ) {
    checkOptions(options);
  }

  async open(): Promise<void> {}

  async write(points: Point[]): Promise<WriteResult> {
    const oldest = this.options.retentionMs > 0 ? this.now() - this.options.retentionMs : -Infinity;
    let written = 0;
    for (const p of points) {
      checkIdentifier('measurement', p.measurement);
      if (p.timestampMs < oldest) continue;
      let list = this.points.get(p.measurement);
      if (!list) this.points.set(p.measurement, (list = []));
      list.push(p);
      written++;
    }
    if (++this.writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.writesSinceSweep = 0;
      this.sweep(oldest);
    }
    return { written, droppedBeyondRetention: points.length - written };
  }

  /** Points held, for tests and memory accounting. */
  get size(): number {
    let n = 0;
    for (const list of this.points.values()) n += list.length;
    return n;
  }

  private sweep(oldest: number): void {
    if (oldest === -Infinity) return;
    for (const [measurement, list] of this.points) {
      const kept = list.filter((p) => p.timestampMs >= oldest);
      if (kept.length > 0) this.points.set(measurement, kept);
      else this.points.delete(measurement);
    }
  }

  async query(q: AggregateQuery): Promise<Series[]> {
    checkIdentifier('measurement', q.measurement);
    checkIdentifier('field', q.field);
    for (const tag of [...Object.keys(q.where ?? {}), ...(q.groupBy ?? [])]) checkIdentifier('tag', tag);
    const oldest = this.options.retentionMs > 0 ? this.now() - this.options.retentionMs : -Infinity;
    const groups = new Map<
      string,
      { tags: Record<string, string>; buckets: Map<number, { t: number; v: number }[]> }
    >();
    for (const p of this.points.get(q.measurement) ?? []) {
      const value = p.fields[q.field];
      if (
        value === undefined ||
        p.timestampMs < q.fromMs ||
        p.timestampMs >= q.toMs ||
        p.timestampMs < oldest
      )
        continue;
      if (q.where && Object.entries(q.where).some(([k, v]) => p.tags[k] !== v)) continue;
      const tags: Record<string, string> = {};
      for (const k of q.groupBy ?? []) tags[k] = p.tags[k] ?? '';
      const key = JSON.stringify(tags);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { tags, buckets: new Map() }));
      const start = Math.floor(p.timestampMs / q.bucketMs) * q.bucketMs;
      let bucket = group.buckets.get(start);
      if (!bucket) group.buckets.set(start, (bucket = []));
      bucket.push({ t: p.timestampMs, v: value });
    }
    const reduce = REDUCERS[q.aggregate];
    return [...groups.values()]
      .map((g) => ({
        tags: g.tags,
        buckets: [...g.buckets.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([startMs, entries]) => ({
            startMs,
            // `last` means latest in time, as in InfluxDB, not latest written.
            value: reduce(entries.sort((a, b) => a.t - b.t).map((e) => e.v)),
          })),
      }))
      .sort(seriesOrder);
  }

  async close(): Promise<void> {}
}
