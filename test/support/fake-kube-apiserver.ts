import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** An API call as RBAC sees it. */
export interface ApiCall {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch';
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  contentType?: string;
  body?: Obj;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const ROUTE = /^\/(?:api\/v1|apis\/([^/]+)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/;

/**
 * A stand-in for kube-apiserver that speaks the real API's JSON for the calls spinwise makes:
 * list and watch (newline-delimited watch events, resourceVersion), get, create (generateName,
 * 409 on a taken name), update with optimistic concurrency (409 on a stale resourceVersion) and
 * JSON merge patch. It records every call so tests can hold the code to its RBAC rules.
 */
export class FakeKubeApiServer {
  readonly calls: ApiCall[] = [];
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly watchers = new Map<string, ServerResponse[]>();
  private version = 1;
  private server: Server | null = null;
  url = '';

  private key(group: string, resource: string): string {
    return `${group}/${resource}`;
  }

  private objects(group: string, resource: string): Map<string, Obj> {
    const k = this.key(group, resource);
    let m = this.store.get(k);
    if (!m) this.store.set(k, (m = new Map()));
    return m;
  }

  /** Adds or replaces an object as a controller would, telling watchers. */
  put(group: string, resource: string, obj: Obj): Obj {
    const objects = this.objects(group, resource);
    const id = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const existed = objects.has(id);
    const stored = {
      ...obj,
      metadata: {
        ...obj.metadata,
        resourceVersion: String(++this.version),
        uid: obj.metadata.uid ?? `uid-${this.version}`,
      },
    };
    objects.set(id, stored);
    for (const res of this.watchers.get(this.key(group, resource)) ?? [])
      res.write(`${JSON.stringify({ type: existed ? 'MODIFIED' : 'ADDED', object: stored })}\n`);
    return stored;
  }

  list(group: string, resource: string): Obj[] {
    return [...this.objects(group, resource).values()];
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'spinwise', token: 'test-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'spinwise' }],
      currentContext: 'fake',
    });
    return kc;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const m = ROUTE.exec(url.pathname);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) return send(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    const [, group = '', namespace, resource = '', name] = m;
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Obj) : undefined;
    const watch = url.searchParams.get('watch') === 'true';
    const verb: ApiCall['verb'] =
      req.method === 'GET'
        ? name
          ? 'get'
          : watch
            ? 'watch'
            : 'list'
        : req.method === 'POST'
          ? 'create'
          : req.method === 'PUT'
            ? 'update'
            : 'patch';
    this.calls.push({
      verb,
      group,
      resource,
      namespace,
      name,
      contentType: req.headers['content-type'],
      body,
    });
    const objects = this.objects(group, resource);
    const id = `${namespace ?? ''}/${name ?? body?.metadata?.name ?? ''}`;
    const notFound = () =>
      send(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: `${resource} "${name}" not found`,
      });
    const conflict = (message: string) =>
      send(409, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Conflict',
        code: 409,
        message,
      });
    switch (verb) {
      case 'list':
        return send(200, {
          kind: 'List',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.version) },
          items: this.list(group, resource).filter((o) => !namespace || o.metadata.namespace === namespace),
        });
      case 'watch': {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        const k = this.key(group, resource);
        this.watchers.set(k, [...(this.watchers.get(k) ?? []), res]);
        req.on('close', () =>
          this.watchers.set(
            k,
            (this.watchers.get(k) ?? []).filter((r) => r !== res),
          ),
        );
        return;
      }
      case 'get':
        return objects.has(id) ? send(200, objects.get(id)) : notFound();
      case 'create': {
        const meta: Obj['metadata'] = { ...body!.metadata, namespace };
        if (!meta.name && typeof meta.generateName === 'string')
          meta.name = `${meta.generateName}${(this.version + 1).toString(36)}`;
        if (objects.has(`${namespace ?? ''}/${meta.name}`))
          return conflict(`${resource} "${meta.name}" already exists`);
        return send(201, this.put(group, resource, { ...body!, metadata: meta }));
      }
      case 'update': {
        const current = objects.get(id);
        if (!current) return notFound();
        if (body?.metadata.resourceVersion !== current.metadata.resourceVersion)
          return conflict(
            `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified`,
          );
        return send(200, this.put(group, resource, body!));
      }
      case 'patch': {
        const current = objects.get(id);
        if (!current) return notFound();
        if (req.headers['content-type'] !== 'application/merge-patch+json')
          return send(415, { kind: 'Status', code: 415 });
        return send(200, this.put(group, resource, mergePatch(current, body) as Obj));
      }
    }
  }

  async stop(): Promise<void> {
    for (const list of this.watchers.values()) for (const res of list) res.end();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
