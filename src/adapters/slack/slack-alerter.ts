import type { Log } from '../log/log';
import { spinAlertMessage, type SlackMessage, type SpinAlert } from './spin-alert-message';

export interface SlackAlerterOptions {
  /** Posts one message; throws on failure (the webhook adapter). */
  post: (message: SlackMessage) => Promise<void>;
  /** At most one message per node and finding in this period; later ones are dropped and counted. */
  minIntervalMs?: number;
  retries?: number;
  backoffMs?: number;
  log?: Log;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SlackCounters {
  sent: number;
  /** Repeats of an alert already raised, clears of one never raised, and rate-limited messages. */
  suppressed: number;
  retried: number;
  /** Messages given up after every retry failed. */
  failed: number;
}

/**
 * Deduplicates per node, finding kind and VM, rate-limits, and delivers on its own queue with
 * retries and exponential backoff: `notify` never waits for Slack, so Slack being down never
 * slows ingestion or analysis.
 */
export class SlackAlerter {
  readonly counters: SlackCounters = { sent: 0, suppressed: 0, retried: 0, failed: 0 };
  private readonly raised = new Set<string>();
  private readonly lastSentMs = new Map<string, number>();
  private readonly queue: SlackMessage[] = [];
  private delivering: Promise<void> | null = null;

  constructor(private readonly options: SlackAlerterOptions) {}

  notify(alert: SpinAlert): void {
    const key = `${alert.node}|${alert.finding.kind}|${alert.finding.vm ?? ''}`;
    const isRaised = this.raised.has(key);
    if ((alert.transition === 'raised') === isRaised) {
      this.counters.suppressed++;
      return;
    }
    const now = (this.options.now ?? Date.now)();
    const last = this.lastSentMs.get(key);
    if (
      alert.transition === 'raised' &&
      last !== undefined &&
      now - last < (this.options.minIntervalMs ?? 300_000)
    ) {
      this.counters.suppressed++;
      return;
    }
    if (alert.transition === 'raised') this.raised.add(key);
    else this.raised.delete(key);
    this.lastSentMs.set(key, now);
    this.queue.push(spinAlertMessage(alert));
    this.delivering ??= this.deliver().finally(() => {
      this.delivering = null;
    });
  }

  private async deliver(): Promise<void> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const retries = this.options.retries ?? 4;
    while (this.queue.length > 0) {
      const message = this.queue.shift()!;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.options.post(message);
          this.counters.sent++;
          break;
        } catch (err) {
          if (attempt >= retries) {
            this.counters.failed++;
            // The error text of an HTTP client can carry the request URL, a secret: log only the status.
            this.options.log?.(
              `slack: gave up after ${attempt + 1} attempts: ${describe(err)} — "${message.text}"`,
              'error',
            );
            break;
          }
          this.counters.retried++;
          await sleep((this.options.backoffMs ?? 1000) * 2 ** attempt);
        }
      }
    }
  }

  /** Resolves when every queued message was delivered or given up. */
  async flush(): Promise<void> {
    while (this.delivering) await this.delivering;
  }
}

/** What went wrong, without the request (whose URL is the webhook secret). */
function describe(err: unknown): string {
  const e = err as { statusCode?: number; code?: string };
  return e.statusCode ? `HTTP ${e.statusCode}` : (e.code ?? 'request failed');
}
