import { redactUrl } from '../redact-url';
import { InfluxDB } from 'influx';
import type { IBackoffStrategy } from 'influx/lib/src/backoff/backoff';
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

export interface InfluxStoreOptions extends StoreOptions {
  url: string;
  username?: string;
  password?: string;
}

const NO_BACKOFF: IBackoffStrategy = {
  getDelay: () => 0,
  next: () => NO_BACKOFF,
  reset: () => NO_BACKOFF,
};

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** InfluxDB 1.x HTTP API through the `influx` client (also served by InfluxDB 2.x and 3). */
export class InfluxStore implements TimeSeriesStore {
  readonly kind = 'influxdb';
  private readonly client: InfluxDB;

  constructor(private readonly options: InfluxStoreOptions) {
    checkOptions(options);
    const url = new URL(options.url);
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      database: options.database,
      // Credentials from the options, else from the URL's user info.
      username: options.username ?? (decodeURIComponent(url.username) || undefined),
      password: options.password ?? (decodeURIComponent(url.password) || undefined),
      // One host: fail fast with our own message, and try the host again on the very next call.
      // (The pool's default backoff keeps a failed host disabled and answers "No host available".)
      pool: { maxRetries: 0, requestTimeout: 30_000, backoff: NO_BACKOFF },
    });
  }

  /** Every failure names the server and database, so an operator knows what to fix. */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const reason = (err as Error).message;
      throw new Error(
        `InfluxDB ${what} at ${redactUrl(this.options.url)} (database "${this.options.database}") failed: ${reason}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Creates the database (with its retention) only when it is missing: a user without admin
   * rights, who may not create databases, sees the ones it may use in SHOW DATABASES.
   */
  async open(): Promise<void> {
    const names = await this.call('list databases', () => this.client.getDatabaseNames());
    if (names.includes(this.options.database)) return;
    const seconds = Math.round(this.options.retentionMs / 1000);
    await this.call('create database', () =>
      this.client.query(
        `CREATE DATABASE "${this.options.database}" WITH DURATION ${seconds}s REPLICATION 1 NAME "spinwise"`,
      ),
    );
  }

  async write(points: Point[]): Promise<WriteResult> {
    if (points.length === 0) return { written: 0, droppedBeyondRetention: 0 };
    for (const p of points) checkIdentifier('measurement', p.measurement);
    try {
      await this.call('write', () =>
        this.client.writePoints(
          points.map((p) => ({
            measurement: p.measurement,
            tags: p.tags,
            fields: p.fields,
            timestamp: new Date(p.timestampMs),
          })),
          { precision: 'ms' },
        ),
      );
      return { written: points.length, droppedBeyondRetention: 0 };
    } catch (err) {
      // InfluxDB writes the rest of the batch and answers "partial write: points beyond retention policy dropped=N".
      const dropped = /beyond retention policy dropped=(\d+)/.exec((err as Error).message);
      if (!dropped) throw err;
      const n = Number(dropped[1]);
      return { written: points.length - n, droppedBeyondRetention: n };
    }
  }

  async query(q: AggregateQuery): Promise<Series[]> {
    const groupBy = (q.groupBy ?? []).map((t) => `"${checkIdentifier('tag', t)}"`);
    const where = [
      `time >= ${Math.trunc(q.fromMs)}ms`,
      `time < ${Math.trunc(q.toMs)}ms`,
      ...Object.entries(q.where ?? {}).map(([k, v]) => `"${checkIdentifier('tag', k)}" = ${quote(v)}`),
    ];
    const influxQl =
      `SELECT ${q.aggregate}("${checkIdentifier('field', q.field)}") AS "value" ` +
      `FROM "${checkIdentifier('measurement', q.measurement)}" WHERE ${where.join(' AND ')} ` +
      `GROUP BY ${[`time(${Math.trunc(q.bucketMs)}ms)`, ...groupBy].join(', ')} fill(none)`;
    const result = await this.call('query', () => this.client.query<{ time: Date; value: number }>(influxQl));
    const groups = result.groups();
    const series = (groups.length > 0 ? groups : [{ tags: {}, rows: [...result] }]).map((g) => ({
      tags: Object.fromEntries(
        (q.groupBy ?? []).map((k) => [k, (g.tags as Record<string, string>)[k] ?? '']),
      ),
      buckets: g.rows.map((row) => ({ startMs: row.time.getTime(), value: row.value })),
    }));
    return series.filter((s) => s.buckets.length > 0).sort(seriesOrder);
  }

  async close(): Promise<void> {}
}
