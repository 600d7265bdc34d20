import { createServer, type Server } from 'node:http';

/** Stands in for Slack: records each JSON body and answers with the next queued status (200 by default). */
export async function slackReceiver(): Promise<{
  url: string;
  bodies: unknown[];
  statuses: number[];
  server: Server;
}> {
  const bodies: unknown[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'internal_error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/services/T000/B000/SECRETTOKEN`, bodies, statuses, server };
}
