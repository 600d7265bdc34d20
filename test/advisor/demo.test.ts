import assert from 'node:assert/strict';
import { it } from 'node:test';
import { freePort } from '../../deploy/dev/free-port';
import { startDemo } from '../../src/advisor/demo';
import { waitFor } from '../support/wait';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
};

it('spinwise demo: simulated nodes reach the advisor, and the API shows nodes, findings and recommendations', async () => {
  const demo = await startDemo({
    port: await freePort(),
    nodes: 3,
    tickMs: 100,
    sampleNs: 100_000_000,
    analysisIntervalMs: 500,
  });
  try {
    // Judge analyses of several samples: the first ones may cover only two short samples.
    await waitFor(
      'three nodes analysed over at least five samples',
      () =>
        demo.core.nodeList().length === 3 &&
        demo.core.nodeList().every((n) => (demo.core.node(n.name)?.analysis?.samples ?? 0) >= 5),
      60_000,
    );
    const nodes = JSON.parse((await get(`${demo.url}/api/nodes`)).body) as {
      name: string;
      kernel: string;
      model: string;
      severity: string;
      oversubscription: number;
    }[];
    const byName = Object.fromEntries(nodes.map((n) => [n.name, n]));
    assert.deepEqual(Object.keys(byName).sort(), ['demo-mixed-2', 'demo-paper-1', 'demo-undercommitted-3']);
    assert.deepEqual(
      [
        byName['demo-paper-1']!.kernel,
        byName['demo-paper-1']!.model,
        byName['demo-paper-1']!.severity,
        byName['demo-paper-1']!.oversubscription,
      ],
      ['5.6.0', 'stock-5.6', 'critical', 4],
    );
    assert.equal(byName['demo-mixed-2']!.model, 'stock-6.6');
    const recs = JSON.parse((await get(`${demo.url}/api/recommendations`)).body) as {
      node: string;
      kind: string;
      target: string;
    }[];
    assert.ok(recs.some((r) => r.node === 'demo-paper-1' && r.kind === 'kernel' && r.target === 'ple-kvm'));
    assert.ok(
      !recs.some((r) => r.node === 'demo-undercommitted-3' && r.kind === 'kernel'),
      'an undercommitted node gets no kernel recommendation',
    );
    const findings = JSON.parse((await get(`${demo.url}/api/findings`)).body) as {
      node: string;
      kind: string;
    }[];
    assert.ok(findings.some((f) => f.node === 'demo-paper-1' && f.kind === 'ple-rate'));
    const node = await get(`${demo.url}/api/nodes/demo-paper-1`);
    assert.equal(JSON.parse(node.body).inventory.pcpus, 8);
    assert.equal((await get(`${demo.url}/api/nodes/nope`)).status, 404);
    assert.equal((await get(`${demo.url}/healthz`)).status, 200);
    assert.equal((await get(`${demo.url}/readyz`)).status, 200);
    const metrics = await get(`${demo.url}/metrics`);
    assert.match(metrics.type, /^text\/plain/);
    assert.match(metrics.body, /^spinwise_windows_analysed_total [1-9]\d*$/m);
    assert.match(metrics.body, /^spinwise_nodes 3$/m);
    const models = JSON.parse((await get(`${demo.url}/api/models`)).body) as { name: string }[];
    assert.ok(models.some((m) => m.name === 'ple-kvm'));
    const openapi = JSON.parse((await get(`${demo.url}/api/docs.json`)).body) as {
      paths: Record<string, unknown>;
    };
    assert.ok('/api/nodes' in openapi.paths && '/api/recommendations' in openapi.paths);
  } finally {
    await demo.stop();
  }
});
