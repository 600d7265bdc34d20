import { createServer, request, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy that serves `target` under a path prefix and strips it, as an Ingress with a
 * rewrite or `kubectl proxy` does. Anything outside the prefix is a 404 and is recorded, so a page
 * that asks for an absolute URL is caught.
 */
export async function startPrefixProxy(
  target: string,
  prefix: string,
): Promise<{ url: string; outside: string[]; close: () => Promise<void> }> {
  const outside: string[] = [];
  const forwardedRequests = new Set<ClientRequest>();
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith(prefix)) {
      outside.push(req.url ?? '');
      res.writeHead(404).end('outside the prefix');
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url.slice(prefix.length - 1) || '/',
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forwardedRequests.add(forwarded);
    forwarded.on('close', () => forwardedRequests.delete(forwarded));
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    outside,
    close: () =>
      new Promise((resolve) => {
        for (const r of forwardedRequests) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
