import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { InfluxStore } from '../../src/adapters/store/influx-store';
import { AdvisorCore } from '../../src/advisor/ingest/advisor-core';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import { SimulatedNode } from '../../src/agent/simulated-node/simulated-node';
import { BusSink } from '../../src/agent/sinks/bus-sink';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { codecs, defaultTopicSpecs, TOPICS, type NodeAnalysis } from '../../src/telemetry';
import { testBrokers, testInfluxUrl } from '../support/services';
import { waitFor } from '../support/wait';

it('advisor on real Kafka and InfluxDB: telemetry in, an analysis on spinwise.analyses.v1, vCPU points stored, garbage dead-lettered', async () => {
  const node = `adv-${randomUUID().slice(0, 8)}`;
  const bus = new KafkaBus({ brokers: [testBrokers()] });
  await bus.ensureTopics(defaultTopicSpecs());
  const database = `advisor_${randomUUID().replace(/-/g, '')}`;
  const store = new InfluxStore({ url: testInfluxUrl(), database, retentionMs: 7 * 24 * 3_600_000 });
  const analyses: NodeAnalysis[] = [];
  const core = new AdvisorCore(
    bus,
    store,
    {
      groupId: `advisor-${randomUUID()}`,
      analysisIntervalMs: 500,
    },
    [{ analysis: (a) => void analyses.push(a) }],
  );
  await core.start();

  const published: NodeAnalysis[] = [];
  const reader = bus.consumer({
    groupId: `read-${randomUUID()}`,
    topics: [TOPICS.analyses],
    fromBeginning: true,
  });
  await reader.start(async (m) => {
    const a = codecs.analysis.decode(m.value);
    if (a.node === node) published.push(a);
  });

  const sim = new SimulatedNode(
    parseScenarioYaml(
      readFileSync(join(__dirname, '..', '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8'),
    ),
    mkdtempSync(join(tmpdir(), 'spinwise-adv-')),
  );
  await sim.init();
  const producer = bus.producer();
  const agent = new Agent({
    node,
    root: new HostRoot(sim.dir),
    sink: new BusSink(producer),
    clock: () => Date.now() - 60_000 + Math.round(sim.nowNs / 1e6),
  });
  await agent.start();
  await producer.send(TOPICS.samples, [
    { key: node, value: Buffer.from('{"schema":"spinwise.sample.v1","node":"broken"}') },
  ]);
  for (let i = 0; i < 4; i++) {
    await sim.advance(150_000_000);
    await agent.sample();
  }
  await agent.stop();
  try {
    // Judge the analysis of the whole recording (an early one may cover only two short samples).
    await waitFor(
      'an analysis of all four samples on spinwise.analyses.v1',
      () => published.some((p) => p.samples >= 4),
      60_000,
    );
    const full = published.find((p) => p.samples >= 4)!;
    assert.equal(full.severity, 'critical');
    assert.equal(full.model, 'stock-5.6');
    assert.ok(full.recommendations.some((r) => r.target === 'ple-kvm'));
    assert.ok(core.metrics.deadLettered >= 1, 'the malformed sample went to the dead-letter topic');
    assert.ok(core.metrics.samplesIngested >= 4);
    const now = Date.now();
    const series = await store.query({
      measurement: 'vcpu',
      field: 'pleExits',
      aggregate: 'sum',
      fromMs: now - 3_600_000,
      toMs: now + 60_000,
      bucketMs: 3_600_000,
      where: { node },
      groupBy: ['vm'],
    });
    assert.deepEqual(
      series.map((s) => s.tags.vm),
      ['vm-0', 'vm-1', 'vm-2', 'vm-3'],
    );
    assert.ok(
      series.every((s) => s.buckets.reduce((a, b) => a + b.value, 0) > 0),
      'PLE exits stored per VM',
    );
  } finally {
    await reader.stop();
    await core.stop();
    await bus.close();
  }
});
