import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisVm, FittedWorkload, NodeAnalysis, NodeInventory } from '../../telemetry';
import { planMoves, type PlannerNode } from './plan-moves';

/** Lock-heavy guests: the kind whose spinning grows with oversubscription. */
const locky: FittedWorkload = {
  pinning: 'none',
  busy: 0.9,
  burstUs: 5000,
  locksPerSecond: 20_000,
  holdUs: 4,
  ipisPerSecond: 200,
  ipiTargets: 2,
};

function node(name: string, pcpus: number, vms: { name: string; vcpus: number }[]): PlannerNode {
  const inventory: NodeInventory = {
    schema: 'spinwise.inventory.v1',
    node: name,
    timestampMs: 0,
    kernel: '5.6.0',
    scheduler: 'cfs',
    cpuVendor: 'intel',
    pcpus,
    topology: { sockets: 1, coresPerSocket: pcpus, threadsPerCore: 1 },
    ple: { vendor: 'vmx', enabled: true, gap: 128, window: 4096, grow: 2, shrink: 0, max: 65536 },
    ipiVirtualized: false,
    vms: vms.map((vm, i) => ({
      name: vm.name,
      pid: 1000 + i,
      vcpus: Array.from({ length: vm.vcpus }, (_, j) => ({
        index: j,
        tid: 2000 + i * 100 + j,
        affinity: [],
      })),
    })),
  };
  const analysisVms: AnalysisVm[] = vms.map((vm) => ({
    name: vm.name,
    vcpus: vm.vcpus,
    pleExitsPerVcpuSecond: null,
    spinShare: null,
    waitShare: null,
    workload: locky,
  }));
  const vcpus = vms.reduce((a, v) => a + v.vcpus, 0);
  const analysis: NodeAnalysis = {
    schema: 'spinwise.analysis.v1',
    node: name,
    windowStartMs: 0,
    windowEndMs: 60_000,
    samples: 6,
    newFromSeq: 0,
    lastSeq: 5,
    kernel: '5.6.0',
    model: 'stock-5.6',
    severity: 'ok',
    oversubscription: vcpus / pcpus,
    pcpus,
    residual: 0.05,
    vms: analysisVms,
    findings: [],
    whatIfs: [],
    recommendations: [],
  };
  return { inventory, analysis };
}

const vms = (prefix: string, count: number, vcpus: number) =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, vcpus }));

describe('cluster planner', () => {
  it('moves a VM off a 2:1 node to one with room, with the predicted effect on both', () => {
    const moves = planMoves([node('hot', 4, vms('db', 2, 4)), node('cold', 8, vms('web', 1, 2))], {
      maxMoves: 1,
      nowMs: 1,
    });
    assert.equal(moves.length, 1);
    const [move] = moves;
    assert.equal(move!.node, 'hot');
    assert.equal(move!.toNode, 'cold');
    assert.match(move!.vm!, /^db-/);
    const [from, to] = move!.effects!;
    assert.equal(from!.node, 'hot');
    assert.ok(from!.spinNs.change < -0.5, `the source spins much less: ${from!.spinNs.change}`);
    assert.ok(from!.pleExits.change < -0.5, `and exits much less: ${from!.pleExits.change}`);
    assert.ok(move!.recommendation.predicted.spinNs!.change < -0.5, 'the cluster spins less');
    assert.equal(to!.node, 'cold');
    assert.ok(to!.usefulNs.change > 1, 'the destination does more useful work (it runs one more VM)');
    assert.ok(move!.recommendation.evidence.some((e) => e.startsWith('cold: spin time +')));
  });

  it('respects capacity: no destination may exceed pcpus × maxOversubscription', () => {
    // The move would put 6 vCPUs on the 8 pCPUs of "cold", over its 0.5 × 8 = 4.
    const moves = planMoves([node('hot', 4, vms('db', 2, 4)), node('cold', 8, vms('web', 1, 2))], {
      maxOversubscription: 0.5,
    });
    assert.deepEqual(moves, []);
  });

  it('takes a node’s capacity from its allocatable CPUs when Kubernetes reports them', () => {
    const cold = node('cold', 8, vms('web', 1, 2));
    // 8 pCPUs would take the 4 more vCPUs (6 ≤ 8 × 1); 4 allocatable CPUs would not (6 > 4 × 1).
    const plan = (allocatableCpus?: number) =>
      planMoves([node('hot', 4, vms('db', 2, 4)), { ...cold, allocatableCpus }], {
        maxOversubscription: 1,
        maxMoves: 1,
      });
    assert.equal(plan().length, 1);
    assert.deepEqual(plan(4), []);
  });

  it('leaves an undercommitted cluster alone', () => {
    const moves = planMoves([node('a', 8, vms('x', 1, 4)), node('b', 8, vms('y', 1, 4))]);
    assert.deepEqual(moves, []);
  });
});
