import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentHealthReport } from './agent';

/** Prometheus label values escape backslash, quote and newline. */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The agent's state in the Prometheus text format (0.0.4). */
export function agentMetricsText(h: AgentHealthReport): string {
  const node = `node="${label(h.node)}"`;
  const metric = (name: string, help: string, type: 'counter' | 'gauge', lines: string[]) =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
  const seconds = (ms: number | null) => (ms === null ? 'NaN' : String(ms / 1000));
  return [
    metric('spinwise_agent_samples_total', 'Samples taken', 'counter', [
      `spinwise_agent_samples_total{${node}} ${h.samples}`,
    ]),
    metric('spinwise_agent_last_sample_timestamp_seconds', 'When the newest sample was taken', 'gauge', [
      `spinwise_agent_last_sample_timestamp_seconds{${node}} ${seconds(h.lastSampleWallMs)}`,
    ]),
    metric(
      'spinwise_agent_last_send_timestamp_seconds',
      'When Kafka (or stdout) last took records',
      'gauge',
      [`spinwise_agent_last_send_timestamp_seconds{${node}} ${seconds(h.lastDeliveredMs)}`],
    ),
    metric('spinwise_agent_spool_bytes', 'Bytes waiting in the disk spool for the broker', 'gauge', [
      `spinwise_agent_spool_bytes{${node}} ${h.spoolBytes}`,
    ]),
    metric('spinwise_agent_dropped_samples_total', 'Samples dropped because the spool was full', 'counter', [
      `spinwise_agent_dropped_samples_total{${node}} ${h.droppedSamples}`,
    ]),
    metric(
      'spinwise_agent_collector_errors_total',
      'Unreadable or malformed files met by the collectors',
      'counter',
      [`spinwise_agent_collector_errors_total{${node}} ${h.collectErrors}`],
    ),
    metric(
      'spinwise_agent_collector_failures_total',
      'Collectors that failed as a whole (each cost only its own signals)',
      'counter',
      [`spinwise_agent_collector_failures_total{${node}} ${h.collectorFailures}`],
    ),
    metric(
      'spinwise_agent_spool_quarantined_total',
      'Corrupted spools moved aside (renamed *.corrupt-<ms>) and started afresh',
      'counter',
      [`spinwise_agent_spool_quarantined_total{${node}} ${h.spoolQuarantined}`],
    ),
    metric(
      'spinwise_agent_last_drop_reason',
      'Why samples were last dropped (1, with the reason), none if never',
      'gauge',
      h.dropReason ? [`spinwise_agent_last_drop_reason{${node},reason="${label(h.dropReason)}"} 1`] : [],
    ),
    metric(
      'spinwise_agent_hist_triggers_removed_at_start',
      'Hist triggers a previous agent left behind (killed) and this one removed before installing its own',
      'gauge',
      [`spinwise_agent_hist_triggers_removed_at_start{${node}} ${h.triggersRemovedAtStart}`],
    ),
    metric(
      'spinwise_agent_signal_missing',
      'A signal this node cannot give (1), with the reason',
      'gauge',
      h.missing.length
        ? h.missing.map(
            (m) =>
              `spinwise_agent_signal_missing{${node},signal="${label(m.signal)}",reason="${label(m.reason)}"} 1`,
          )
        : [],
    ),
  ].join('');
}

/** Connections served at once; more are closed on accept (a scraper needs one, a probe another). */
export const MAX_CONNECTIONS = 32;
/** A client that has not sent its request within this is cut off (slowloris). */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * `/metrics` and `/healthz` of the node agent. Healthy while it samples: the newest sample is
 * younger than three intervals (or, before the first, the agent started less than that ago).
 * Bounded: at most MAX_CONNECTIONS at once, each with a few seconds to ask, so thousands of slow
 * clients cost descriptors they are refused, never the agent (EMFILE is an error event on the
 * server, logged, not a crash).
 */
export async function startHealthServer(
  port: number,
  host: string,
  intervalMs: number,
  report: () => AgentHealthReport,
  onError: (message: string) => void = () => undefined,
): Promise<{ port: number; close: () => Promise<void> }> {
  const startedMs = Date.now();
  const server: Server = createServer((req, res) => {
    const h = report();
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(agentMetricsText(h));
      return;
    }
    if (req.url === '/healthz') {
      const ageMs = Date.now() - (h.lastSampleWallMs ?? startedMs);
      const ok = ageMs <= 3 * intervalMs + 5_000;
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'stalled', lastSampleAgeMs: ageMs, ...h }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /metrics, /healthz\n');
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listening, an accept error (EMFILE when descriptors run out) must not end the process.
  server.on('error', (err: NodeJS.ErrnoException) => onError(`metrics endpoint: ${err.code ?? err.message}`));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
