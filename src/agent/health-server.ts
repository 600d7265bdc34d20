import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentHealthReport } from './agent';
import type { AgentMetrics } from './agent-metrics';

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
  metrics: AgentMetrics,
  onError: (message: string) => void = () => undefined,
): Promise<{ port: number; close: () => Promise<void> }> {
  const startedMs = Date.now();
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
      return;
    }
    if (req.url === '/healthz') {
      const h = report();
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
