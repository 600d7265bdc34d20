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
      'spinwise_agent_hist_triggers_reused',
      'Hist triggers a previous agent left and this one took over',
      'gauge',
      [`spinwise_agent_hist_triggers_reused{${node}} ${h.triggersReused}`],
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

/**
 * `/metrics` and `/healthz` of the node agent. Healthy while it samples: the newest sample is
 * younger than three intervals (or, before the first, the agent started less than that ago).
 */
export async function startHealthServer(
  port: number,
  host: string,
  intervalMs: number,
  report: () => AgentHealthReport,
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
