/**
 * The time-series store seen by spinwise: InfluxDB 1.x API in production, an in-memory store on
 * embedded defaults. Both honour test/adapters/store-contract.ts.
 */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  timestampMs: number;
}

export type Aggregate = 'mean' | 'sum' | 'min' | 'max' | 'count' | 'last';

/** `SELECT agg(field) FROM measurement WHERE tags AND from ≤ time < to GROUP BY time(bucket), tags`. */
export interface AggregateQuery {
  measurement: string;
  field: string;
  aggregate: Aggregate;
  fromMs: number;
  toMs: number;
  bucketMs: number;
  where?: Record<string, string>;
  groupBy?: string[];
}

/** Buckets start at multiples of bucketMs since the epoch, as InfluxDB aligns them; empty ones are left out. */
export interface Bucket {
  startMs: number;
  value: number;
}

export interface Series {
  /** Values of the `groupBy` tags. */
  tags: Record<string, string>;
  buckets: Bucket[];
}

export interface WriteResult {
  written: number;
  /** Points older than the retention period: InfluxDB refuses them, and so does the embedded store. */
  droppedBeyondRetention: number;
}

export interface TimeSeriesStore {
  readonly kind: 'influxdb' | 'embedded';
  /** Creates the database with its retention period if it does not exist. */
  open(): Promise<void>;
  write(points: Point[]): Promise<WriteResult>;
  query(query: AggregateQuery): Promise<Series[]>;
  close(): Promise<void>;
}

export interface StoreOptions {
  database: string;
  /** InfluxDB's minimum is one hour; the embedded store enforces the same. 0: kept for ever. */
  retentionMs: number;
}

export const MIN_RETENTION_MS = 3_600_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Names reach InfluxQL as quoted identifiers; anything else is refused before a query is built. */
export function checkIdentifier(what: string, value: string): string {
  if (!IDENTIFIER.test(value))
    throw new Error(`${what} "${value}" is not a valid name (letters, digits, _ . -)`);
  return value;
}

export function checkOptions(options: StoreOptions): void {
  checkIdentifier('database', options.database);
  if (!(options.retentionMs === 0 || options.retentionMs >= MIN_RETENTION_MS))
    throw new Error(
      `retentionMs: got ${options.retentionMs}, expected 0 (for ever) or ≥ ${MIN_RETENTION_MS} (one hour)`,
    );
}

export const seriesOrder = (a: Series, b: Series): number =>
  JSON.stringify(a.tags) < JSON.stringify(b.tags)
    ? -1
    : JSON.stringify(a.tags) > JSON.stringify(b.tags)
      ? 1
      : 0;
