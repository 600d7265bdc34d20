import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NodeInventory, NodeSample } from '../telemetry';
import type { AgentHealthReport } from './agent';
import { AgentMetrics } from './agent-metrics';

const health: AgentHealthReport = {
  node: 'kvm-1',
  samples: 3,
  lastSampleWallMs: 1_000,
  lastDeliveredMs: null,
  spoolBytes: 10,
  droppedSamples: 2,
  dropReason: 'spool disk refuses writes (ENOSPC) and the memory queue is full',
  spoolQuarantined: 1,
  collectErrors: 4,
  collectorFailures: 0,
  triggersRemovedAtStart: 0,
  missing: [{ signal: 'qmpStats', reason: 'no answer within 1000 ms: "vm\\a"' }],
};

const inventory = {
  node: 'kvm-1',
  ple: { vendor: 'vmx', enabled: true, gap: 128, window: 4096, grow: 2, shrink: 0, max: 65536 },
  vms: [
    { name: 'prod_db-1', kubevirt: { podUid: 'u', namespace: 'prod', vmi: 'db-1' } },
    { name: 'plain', kubevirt: undefined },
  ],
} as unknown as NodeInventory;

const sample = (vms: string[], pleExits: number | undefined): NodeSample =>
  ({
    node: 'kvm-1',
    vcpus: vms.flatMap((vm) =>
      [0, 1].map((vcpu) => ({
        vm,
        vcpu,
        tid: 100 + vcpu,
        runNs: 2e9,
        waitNs: 5e8,
        ...(pleExits === undefined ? {} : { pleExits }),
      })),
    ),
    vms: vms.map((vm) => ({ vm, pid: 9, cpuPeriods: 100, cpuThrottledPeriods: 25, cpuThrottledUs: 400_000 })),
  }) as unknown as NodeSample;

it('agent metrics: its own state, a missing signal and the last drop reason as labelled series, escaped', async () => {
  const text = await new AgentMetrics('kvm-1', () => health).text();
  assert.match(
    text,
    /spinwise_agent_signal_missing\{node="kvm-1",signal="qmpStats",reason="no answer within 1000 ms: \\"vm\\\\a\\""\} 1\n/,
  );
  assert.match(
    text,
    /spinwise_agent_last_drop_reason\{node="kvm-1",reason="spool disk refuses writes \(ENOSPC\) and the memory queue is full"\} 1\n/,
  );
  assert.match(text, /spinwise_agent_spool_quarantined_total\{node="kvm-1"\} 1\n/);
  assert.match(text, /spinwise_agent_last_send_timestamp_seconds\{node="kvm-1"\} Nan\n/i);
  // prom-client's process metrics come with it.
  assert.match(text, /process_resident_memory_bytes \d+/);
});

it('agent metrics: per-VM counters add up the samples, labelled like kubevirt_vmi_*; an absent counter has no series', async () => {
  const metrics = new AgentMetrics('kvm-1', () => health);
  metrics.observe(sample(['prod_db-1', 'plain'], 1_000), inventory);
  metrics.observe(sample(['prod_db-1', 'plain'], 3_000), inventory);
  const text = await metrics.text();
  const db = '{namespace="prod",name="db-1",node="kvm-1"}';
  assert.match(text, new RegExp(`spinwise_vm_ple_exits_total${db} 8000\\n`));
  assert.match(text, new RegExp(`spinwise_vm_vcpu_run_seconds_total${db} 8\\n`));
  assert.match(text, new RegExp(`spinwise_vm_runqueue_wait_seconds_total${db} 2\\n`));
  assert.match(text, new RegExp(`spinwise_vm_cpu_throttled_periods_total${db} 50\\n`));
  assert.match(text, new RegExp(`spinwise_vm_cpu_throttled_seconds_total${db} 0.8\\n`));
  // 8,000 exits × 4,096 cycles at 2.5 GHz.
  assert.match(text, new RegExp(`spinwise_vm_spin_seconds_total${db} ${(8000 * 4096) / 2.5 / 1e9}\\n`));
  assert.match(text, /spinwise_vm_vcpus\{namespace="",name="plain",node="kvm-1"\} 2\n/);
  // No KVM statistics in these samples: no directed-yield series, not a zero.
  assert.doesNotMatch(text, /spinwise_vm_directed_yield_attempts_total\{/);

  const noPle = new AgentMetrics('kvm-1', () => health);
  noPle.observe(sample(['plain'], undefined), inventory);
  assert.doesNotMatch(await noPle.text(), /spinwise_vm_(ple_exits|spin_seconds)_total\{/);
});

it('agent metrics: a VM whose VMI identity is learnt late keeps one set of series, under its VMI name', async () => {
  const metrics = new AgentMetrics('kvm-1', () => health);
  metrics.observe(sample(['prod_db-1'], 10), undefined);
  metrics.observe(sample(['prod_db-1'], 10), inventory);
  const text = await metrics.text();
  assert.doesNotMatch(text, /name="prod_db-1"/);
  assert.match(text, /spinwise_vm_ple_exits_total\{namespace="prod",name="db-1",node="kvm-1"\} 20\n/);
});

it('agent metrics: a VM that has gone loses its series', async () => {
  const metrics = new AgentMetrics('kvm-1', () => health);
  metrics.observe(sample(['prod_db-1', 'plain'], 10), inventory);
  metrics.observe(sample(['plain'], 10), inventory);
  const text = await metrics.text();
  assert.doesNotMatch(text, /name="db-1"/);
  assert.match(text, /spinwise_vm_ple_exits_total\{namespace="",name="plain",node="kvm-1"\} 40\n/);
});
