import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EmbeddedBus } from '../../src/adapters/bus/embedded-bus';
import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { startAdvisorRuntime } from '../../src/advisor/app/advisor-runtime';

it('probes: readiness names each part; only a replica not serving drops out; liveness stays', async () => {
  const runtime = await startAdvisorRuntime(
    new EmbeddedBus(),
    new EmbeddedStore({ database: 'spinwise', retentionMs: 86_400_000 }),
    { port: 0, analysisWorkers: 1 },
  );
  try {
    const ready = await fetch(`${runtime.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: 'ok',
      details: { advisor: { status: 'up' }, kafka: { status: 'up' }, store: { status: 'up' } },
    });
    // The core stops first when the advisor shuts down: from then on it takes no traffic.
    await runtime.core.stop();
    const stopping = await fetch(`${runtime.url}/readyz`);
    assert.equal(stopping.status, 503);
    const body = (await stopping.json()) as { status: string; details: Record<string, unknown> };
    assert.equal(body.status, 'error');
    assert.deepEqual(body.details.advisor, { status: 'down', reasons: ['not started (or stopping)'] });
    assert.equal((await fetch(`${runtime.url}/healthz`)).status, 200);
    assert.match(await (await fetch(`${runtime.url}/metrics`)).text(), /^spinwise_ready 0$/m);
  } finally {
    await runtime.stop();
  }
});
