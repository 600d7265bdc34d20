import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeInventory, NodeSample } from '../../telemetry';
import { observeWindow } from './analyze-node';
import { Hysteresis } from './hysteresis';
import { NodeWindow } from './node-window';
import { vmMetrics } from './vm-metrics';
import { windowSample } from './window-sample';

function sample(
  seq: number,
  vcpus: NodeSample['vcpus'] = [],
  missing: NodeSample['missing'] = [],
): NodeSample {
  return {
    schema: 'spinwise.sample.v1',
    node: 'n1',
    seq,
    timestampMs: 1_000_000 + seq * 10_000,
    intervalMs: 10_000,
    seriesRestarted: false,
    vcpus,
    vms: [],
    host: {},
    agent: { spoolBytes: 0, droppedSamples: 0 },
    missing,
  };
}

describe('node window', () => {
  it('absorbs duplicates, orders stragglers by seq, counts gaps, evicts by time, refuses the late', () => {
    const w = new NodeWindow('n1', 30_000);
    assert.equal(w.add(windowSample(sample(0))), 'accepted');
    assert.equal(w.add(windowSample(sample(2))), 'accepted');
    assert.equal(w.gaps, 1);
    assert.equal(w.add(windowSample(sample(2))), 'duplicate');
    assert.equal(w.add(windowSample(sample(1))), 'accepted', 'an out-of-order straggler');
    assert.equal(w.gaps, 0, 'it filled the gap');
    assert.deepEqual(
      w.contents().map((s) => s.seq),
      [0, 1, 2],
    );
    w.add(windowSample(sample(5)));
    assert.deepEqual(
      w.contents().map((s) => s.seq),
      [5],
      'samples 30 s or more older than the newest left the window',
    );
    assert.equal(w.add(windowSample(sample(1))), 'late');
    assert.equal(w.duplicates, 1);
  });
});

describe('window sample', () => {
  it("keeps each VM's counters summed over its vCPUs, and which ones a vCPU did not report", () => {
    const s = windowSample({
      ...sample(3, [
        { vm: 'a', vcpu: 0, tid: 1, runNs: 5, waitNs: 1, pleExits: 7, ipisSent: [{ toVcpu: 1, count: 2 }] },
        {
          vm: 'a',
          vcpu: 1,
          tid: 2,
          runNs: 6,
          waitNs: 2,
          ipisSent: [
            { toVcpu: 0, count: 3 },
            { toVcpu: 2, count: 4 },
          ],
        },
        { vm: 'b', vcpu: 0, tid: 3, runNs: 9, waitNs: 0, pleExits: 1 },
      ]),
      vms: [
        { vm: 'a', pid: 10, haltExits: 11 },
        { vm: 'c', pid: 12, haltExits: 13, cpuPeriods: 100, cpuThrottledPeriods: 5 },
      ],
    });
    assert.deepEqual(
      { seq: s.seq, timestampMs: s.timestampMs, intervalMs: s.intervalMs },
      { seq: 3, timestampMs: 1_030_000, intervalMs: 10_000 },
    );
    assert.deepEqual(s.vms, [
      {
        vm: 'a',
        vcpus: [0, 1],
        runNs: 11,
        waitNs: 3,
        pleExits: 7,
        ipis: 9,
        incomplete: ['pleExits'],
        haltExits: 11,
      },
      { vm: 'b', vcpus: [0], runNs: 9, waitNs: 0, pleExits: 1, ipis: 0, incomplete: ['ipis'] },
      {
        vm: 'c',
        vcpus: [],
        runNs: 0,
        waitNs: 0,
        pleExits: 0,
        ipis: 0,
        incomplete: [],
        haltExits: 13,
        cpuPeriods: 100,
        cpuThrottledPeriods: 5,
      },
    ]);
    const { vms } = vmMetrics([s], 2000);
    assert.deepEqual(
      vms.map((m) => [m.vm, m.vcpus, m.pleExitsPerVcpuSecond, m.throttledRatio]),
      [
        ['a', 2, null, null],
        ['b', 1, 0.1, null],
      ],
      "a's PLE rate unknown (one vCPU did not report it); c, without vCPUs in the sample, has no metrics",
    );
  });
});

describe('KVM statistics per vCPU (QMP)', () => {
  it('sums a VM’s directed yields and halt exits over its vCPUs when every vCPU gave them; the VM’s debugfs sums come first', () => {
    const v = (vm: string, vcpu: number, attempted?: number, successful?: number) => ({
      vm,
      vcpu,
      tid: 100 + vcpu,
      runNs: 5e9,
      waitNs: 1e9,
      pleExits: 0,
      ipisSent: [],
      haltExits: 3,
      ...(attempted === undefined
        ? {}
        : { directedYieldAttempted: attempted, directedYieldSuccessful: successful }),
    });
    const s = windowSample({
      ...sample(1, [
        v('qmp', 0, 300, 30),
        v('qmp', 1, 200, 20),
        v('partial', 0, 50, 50),
        v('partial', 1),
        v('both', 0, 9, 9),
      ]),
      vms: [{ vm: 'both', pid: 7, directedYieldAttempted: 1000, directedYieldSuccessful: 700 }],
    });
    const of = (name: string) => s.vms.find((x) => x.vm === name)!;
    assert.deepEqual(
      [of('qmp').directedYieldAttempted, of('qmp').directedYieldSuccessful, of('qmp').haltExits],
      [500, 50, 6],
    );
    assert.equal(
      of('partial').directedYieldAttempted,
      undefined,
      'one vCPU lacked them: unknown, not a partial sum',
    );
    assert.equal(of('both').directedYieldAttempted, 1000);

    const { vms } = vmMetrics(
      [s, windowSample({ ...sample(2, [v('qmp', 0, 100, 50), v('qmp', 1, 100, 50)]) })],
      2000,
    );
    const qmp = vms.find((m) => m.vm === 'qmp')!;
    assert.equal(qmp.directedYieldSuccess, 150 / 700);
    assert.equal(qmp.directedYieldsPerVcpuSecond, 700 / 40);
    assert.equal(vms.find((m) => m.vm === 'partial')!.directedYieldSuccess, null);

    // 700 attempts in 40 vCPU-seconds (17.5/s), 79 % failed: a warning; the wire carries the success share.
    const inventory: NodeInventory = {
      schema: 'spinwise.inventory.v1',
      node: 'n1',
      timestampMs: 0,
      kernel: '6.8.0',
      scheduler: 'eevdf',
      cpuVendor: 'intel',
      pcpus: 2,
      topology: { sockets: 1, coresPerSocket: 2, threadsPerCore: 1 },
      ple: null,
      ipiVirtualized: null,
      vms: ['qmp', 'partial', 'both'].map((name, i) => ({
        name,
        pid: 10 + i,
        vcpus: [0, 1].map((index) => ({ index, tid: 100 + index, affinity: [0, 1] })),
      })),
    };
    const observed = observeWindow(inventory, [
      s,
      windowSample({ ...sample(2, [v('qmp', 0, 100, 50), v('qmp', 1, 100, 50)]) }),
    ]);
    const ineffective = observed.findings.filter((f) => f.kind === 'yield-ineffective');
    assert.deepEqual(
      ineffective.map((f) => [f.vm, f.severity, f.message]),
      [['qmp', 'warning', 'qmp: 78.6 % of PV directed yields failed']],
    );
    assert.equal(observed.vms.find((x) => x.name === 'qmp')!.directedYieldSuccess, 0.2143);
  });
});

describe('per-VM metrics', () => {
  it('rates PLE exits per vCPU-second, run-queue wait share and a spin lower bound', () => {
    const vcpu = (vm: string, i: number, ple: number) => ({
      vm,
      vcpu: i,
      tid: 100 + i,
      pleExits: ple,
      runNs: 6e9,
      waitNs: 4e9,
    });
    const { vms, missing } = vmMetrics(
      [
        sample(0, [vcpu('a', 0, 1000), vcpu('a', 1, 3000)]),
        sample(1, [vcpu('a', 0, 0), vcpu('a', 1, 4000)]),
      ].map(windowSample),
      2000,
    );
    assert.deepEqual(missing, []);
    assert.equal(vms.length, 1);
    const a = vms[0]!;
    assert.equal(a.vcpuSeconds, 40, '2 vCPUs × 20 s');
    assert.equal(a.pleExitsPerVcpuSecond, 8000 / 40);
    assert.equal(a.waitShare, 0.4);
    assert.equal(a.spinShareLowerBound, (8000 * 2000) / 24e9);
  });

  it('says null, not zero, for a signal the node could not give', () => {
    const { vms, missing } = vmMetrics(
      [
        sample(
          0,
          [{ vm: 'a', vcpu: 0, tid: 1, runNs: 1e9, waitNs: 0 }],
          [{ signal: 'pleExits', reason: 'no tracefs' }],
        ),
      ].map(windowSample),
      2000,
    );
    assert.equal(vms[0]!.pleExitsPerVcpuSecond, null);
    assert.equal(vms[0]!.spinShareLowerBound, null);
    assert.deepEqual(missing, ['pleExits']);
  });
});

describe('hysteresis', () => {
  it('raises after N windows over and clears after M under; one noisy window changes nothing', () => {
    const h = new Hysteresis(2, 3);
    const seen = [true, false, true, true, false, true, false, false, false].map((x) => h.observe(x));
    assert.deepEqual(seen, [null, null, null, 'raised', null, null, null, null, 'cleared']);
  });
});
