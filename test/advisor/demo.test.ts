import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startFastDemo } from '../support/fast-demo';
import { waitFor } from '../support/wait';

const get = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
};
const post = (url: string, token?: string) =>
  get(url, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

it('spinwise demo: simulated nodes reach the advisor, and the API shows nodes, findings and recommendations', async () => {
  const demo = await startFastDemo({ apiToken: 'demo-token' });
  try {
    // Judge analyses of several samples: the first ones may cover only two short samples.
    await waitFor(
      'three nodes analysed over at least five samples',
      () =>
        demo.fleet.nodeList().length === 3 &&
        demo.fleet.nodeList().every((n) => (demo.fleet.node(n.name)?.analysis?.samples ?? 0) >= 5),
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
      summary: string;
      priority?: number;
      disruption?: string;
      apply?: { on: string; how: string }[];
    }[];
    assert.ok(recs.some((r) => r.node === 'demo-paper-1' && r.kind === 'kernel' && r.target === 'ple-kvm'));
    // The demo's QEMUs run a named CPU model without PV extras: a VM setting, with how to apply it on KubeVirt.
    const setting = recs.find((r) => r.kind === 'vm-setting');
    assert.ok(setting, 'some node gets a VM-setting recommendation');
    assert.equal(setting.disruption, 'vm-restart');
    assert.match(
      setting.apply!.find((a) => a.on === 'kubevirt')!.how,
      /spec\.domain\.cpu\.model: host-passthrough/,
    );
    // Each node's recommendations come cheapest first (gain per disruption).
    for (const name of Object.keys(byName)) {
      const mine = recs.filter((r) => r.node === name && r.kind !== 'move').map((r) => r.priority!);
      assert.deepEqual(
        mine,
        [...mine].sort((a, b) => b - a),
        name,
      );
    }
    // The Ubuntu node (6.8.0-45-generic) is offered kernels an Ubuntu user can install; patches say what they are.
    const ubuntu = JSON.parse((await get(`${demo.url}/api/nodes/demo-mixed-2`)).body) as {
      analysis: { whatIfs: { kind: string; summary?: string }[] };
    };
    const kernels = ubuntu.analysis.whatIfs.filter((w) => w.kind === 'kernel').map((w) => w.summary!);
    assert.ok(
      kernels.some((k) => /^install linux-generic-hwe-24\.04/.test(k)),
      kernels.join(' | '),
    );
    for (const k of kernels) assert.match(k, /^install |^patch, not in any released kernel/);
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
    assert.match(metrics.body, /^spinwise_fleet_nodes 3$/m);
    // Findings as series with KubeVirt-style labels, in base units (a ratio within [0, 1]).
    const spin =
      /^spinwise_vm_spin_ratio\{namespace="[^"]*",name="vm-\d",node="demo-paper-1"\} ([\d.e-]+)$/m.exec(
        metrics.body,
      );
    assert.ok(spin && Number(spin[1]) > 0 && Number(spin[1]) <= 1, 'the paper node’s spin ratio');
    assert.match(
      metrics.body,
      /^spinwise_node_severity\{node="demo-paper-1",severity="(warning|critical)"\} 1$/m,
    );
    assert.match(
      metrics.body,
      /^spinwise_whatif_predicted_change_ratio\{node="demo-paper-1",kind="kernel",target="[^"]+",quantity="spin_time"\} -/m,
    );
    const models = JSON.parse((await get(`${demo.url}/api/models`)).body) as { name: string }[];
    assert.ok(models.some((m) => m.name === 'ple-kvm'));
    const openapi = JSON.parse((await get(`${demo.url}/api/docs.json`)).body) as {
      paths: Record<string, unknown>;
    };
    assert.ok('/api/nodes' in openapi.paths && '/api/recommendations' in openapi.paths);

    // The paper node spins: after two analyses over the threshold an alert names it and its VMs.
    await waitFor(
      'an alert for demo-paper-1',
      () => demo.fleet.alerts().some((a) => a.node === 'demo-paper-1'),
      30_000,
    );
    const alerts = JSON.parse((await get(`${demo.url}/api/alerts`)).body) as {
      node: string;
      transition: string;
      vms: string[];
    }[];
    const raised = alerts.find((a) => a.node === 'demo-paper-1')!;
    assert.equal(raised.transition, 'raised');
    assert.deepEqual([...raised.vms].sort(), ['vm-0', 'vm-1', 'vm-2', 'vm-3']);
    assert.ok(
      !alerts.some((a) => a.node === 'demo-undercommitted-3'),
      'no alert for the undercommitted node',
    );
    const series = JSON.parse((await get(`${demo.url}/api/nodes/demo-paper-1/series?minutes=30`)).body) as {
      charts: { title: string; lines: { label: string; values: (number | null)[] }[] }[];
    };
    const ple = series.charts[0]!;
    assert.deepEqual(
      ple.lines.map((l) => l.label),
      ['vm-0', 'vm-1', 'vm-2', 'vm-3'],
    );
    assert.ok(
      ple.lines.every((l) => l.values.some((v) => v !== null && v > 0)),
      'PLE exits charted per VM',
    );
    for (const [bad, why] of [
      ['0', /minutes: expected at least 1, got "0"/],
      ['abc', /minutes: expected a whole number of minutes, got "abc"/],
      ['2.5', /minutes: expected a whole number of minutes, got "2.5"/],
    ] as const) {
      const refused = await get(`${demo.url}/api/nodes/demo-paper-1/series?minutes=${bad}`);
      assert.equal(refused.status, 400);
      assert.match((JSON.parse(refused.body) as { message: string }).message, why);
    }
  } finally {
    await demo.stop();
  }
});

it('state-changing endpoints need the bearer token, and are off without one; /api/events streams analyses', async () => {
  const withToken = await startFastDemo({ nodes: 1, apiToken: 's3cret' });
  const without = await startFastDemo({ nodes: 1 });
  try {
    assert.equal((await post(`${withToken.url}/api/analyse`)).status, 401);
    assert.equal((await post(`${withToken.url}/api/analyse`, 'wrong!')).status, 401);
    await waitFor('samples to arrive', () => withToken.fleet.nodeList().length === 1, 30_000);
    const ok = await post(`${withToken.url}/api/analyse`, 's3cret');
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { analysed: ['demo-paper-1'], skipped: [] });
    const again = JSON.parse((await post(`${withToken.url}/api/analyse`, 's3cret')).body);
    assert.deepEqual(
      [
        ...again.analysed,
        ...again.skipped.map((x: { node: string; reason: string }) => `${x.node}: ${x.reason}`),
      ],
      [again.analysed.length ? 'demo-paper-1' : 'demo-paper-1: no new samples since its last analysis'],
      'what it analysed, or what it skipped and why',
    );
    // Hardened HTTP: no framework banner, helmet's headers, a CSP for the dashboard.
    const page = await fetch(`${withToken.url}/`);
    assert.equal(page.headers.get('x-powered-by'), null);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
    // A body is never parsed, not even before authentication.
    const big = await fetch(`${withToken.url}/api/analyse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{'.repeat(200_000),
    });
    assert.equal(big.status, 401);
    assert.equal((await post(`${withToken.url}/api/plan`, 's3cret')).status, 200);
    const off = await post(`${without.url}/api/analyse`, 's3cret');
    assert.equal(off.status, 403);
    assert.match(off.body, /SPINWISE_API_TOKEN/);

    // Live events: the first analysis after subscribing arrives on the stream.
    const res = await fetch(`${without.url}/api/events`, { signal: AbortSignal.timeout(30_000) });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const frames = () =>
      text
        .split('\n\n')
        .map((frame) =>
          Object.fromEntries(
            frame.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
          ),
        )
        .filter((f) => f.event === 'analysis');
    while (frames().length === 0) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    await reader.cancel();
    const event = JSON.parse(frames()[0]!.data!) as { type: string; node: string; severity: string };
    assert.deepEqual([event.type, event.node], ['analysis', 'demo-paper-1']);
    assert.ok(['ok', 'warning', 'critical'].includes(event.severity));
  } finally {
    await withToken.stop();
    await without.stop();
  }
});
