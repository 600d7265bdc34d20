import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '../../sim/scenario';
import type { Calibration, VmPv } from './calibrate';
import { priorityOf } from './priority';
import { whatIfCandidates } from './what-ifs';

const NONE: VmPv = { tlbFlush: false, schedYield: false, ipi: false, spinlocks: false };

/** A calibrated 2:1 node of two VMs on `kernel`, whose guests are offered `pv` (null: not reported). */
function calibration(kernel: string, model: string, pv: (VmPv | null)[], host: object = {}): Calibration {
  const scenario = parseScenario({
    host: { pcpus: 8, kernel, ...host },
    // As calibrate replays them: the reported features in each VM's workload.
    vms: pv.map((f, i) => ({
      name: `vm-${i}`,
      vcpus: 8,
      workload: {
        ipis: { perSecond: 1000 },
        ...(f ? { pv: { tlbFlush: f.tlbFlush, schedYield: f.schedYield, ipi: f.ipi } } : {}),
      },
    })),
  });
  return {
    scenario,
    model,
    residual: 0,
    observedPleRate: 1,
    fittedPleRate: 1,
    workloads: [],
    pv,
    haltPollNs: null,
    hint: { lockRate: 1, targets: 1, pleRate: 1, residual: 0 },
    assumptions: [],
    runs: 0,
  };
}

describe('what-ifs an operator can act on', () => {
  it('PV features only for guests the node reports lacking them, where the host has them', () => {
    const cal = calibration('6.8.0-45-generic', 'stock-6.6', [NONE, { ...NONE, tlbFlush: true }, null]);
    const pv = whatIfCandidates(cal, true, null, ['db', 'web', 'batch']).filter(
      (c) => c.kind === 'vm-setting',
    );
    assert.deepEqual(
      pv.map((c) => c.target),
      ['kvm-pv-tlb-flush on db', 'kvm-pv-sched-yield on db, web'],
      'batch reported nothing: no candidate for it',
    );
    const tlb = pv[0]!;
    assert.deepEqual(
      tlb.scenario.vms.map((v) => v.workload.pv.tlbFlush),
      [true, true, false],
      'only the lacking VM changes (web had it)',
    );
    assert.equal(tlb.disruption, 'vm-restart');
    assert.ok(tlb.apply.some((a) => a.on === 'kubevirt' && /host-passthrough/.test(a.how)));
    // A 4.15 host has no PV TLB flush (4.16) nor PV sched yield.
    const old = whatIfCandidates(calibration('4.15.0', 'stock-5.6', [NONE]), true, null);
    assert.ok(!old.some((c) => c.kind === 'vm-setting'));
    assert.ok(!whatIfCandidates(cal, false, null).some((c) => c.kind === 'vm-setting'), 'not oversubscribed');
    // A node of many VMs names three, and counts the rest (the wire bounds a target at 500 characters).
    const many = calibration('6.8.0-45-generic', 'stock-6.6', Array(40).fill(NONE));
    const names = Array.from({ length: 40 }, (_, i) => `a-rather-long-virtual-machine-name-${i}`);
    const tlbMany = whatIfCandidates(many, true, null, names).find(
      (c) => c.id === 'vm-setting:kvm-pv-tlb-flush',
    )!;
    assert.match(tlbMany.target, /-2 and 37 more$/);
    assert.ok(tlbMany.target.length <= 500);
  });

  it('kernels from the catalogue, labelled with what to install; patches labelled as patches', () => {
    const kernels = whatIfCandidates(calibration('6.8.0-45-generic', 'stock-6.6', [NONE]), true, null).filter(
      (c) => c.kind === 'kernel',
    );
    assert.deepEqual(
      kernels.map((c) => c.model),
      ['stock-6.14+base-slice-0.70+slice-protection', 'stock-6.19', 'ple-kvm', 'stock-6.6+semantics-aware'],
    );
    assert.match(kernels[0]!.summary, /^install linux-generic-hwe-24\.04/);
    assert.match(kernels[2]!.summary, /^patch, not in any released kernel/);
    assert.ok(kernels.every((c) => c.disruption === 'reboot'));
    // A CFS node gets no semantics-aware what-if (the series is for EEVDF).
    const cfs = whatIfCandidates(calibration('5.6.0', 'stock-5.6', [NONE]), true, null);
    assert.ok(!cfs.some((c) => /semantics-aware/.test(c.model)));
  });

  it('a wider PLE window where PLE is on and vCPUs outnumber pCPUs: a module parameter', () => {
    const on = whatIfCandidates(calibration('6.8.0-45-generic', 'stock-6.6', [NONE]), true, null);
    const wider = on.find((c) => c.id === 'ple:window-x4')!;
    assert.equal(wider.target, 'ple_window=16384', '4 × VMX’s default 4096 cycles');
    assert.equal(wider.scenario.host.ple.window, 16384);
    assert.equal(wider.disruption, 'module-reload');
    const off = calibration('6.8.0-45-generic', 'stock-6.6', [NONE], { ple: { enabled: false } });
    assert.ok(!whatIfCandidates(off, true, null).some((c) => c.id === 'ple:window-x4'));
  });

  it('stops halt polling where the node reports it on: live from 6.1, a VM restart before', () => {
    const cal = calibration('6.8.0-45-generic', 'stock-6.6', [NONE]);
    assert.ok(!whatIfCandidates(cal, true, null).some((c) => c.kind === 'host-setting'), 'not reported');
    cal.haltPollNs = 200_000;
    const off = whatIfCandidates(cal, true, null).find((c) => c.id === 'host-setting:halt-poll-off')!;
    assert.equal(off.scenario.host.haltPollNs, 0);
    assert.equal(off.disruption, 'none');
    const old = calibration('5.15.0-91-generic', 'stock-5.13', [NONE]);
    old.haltPollNs = 200_000;
    assert.equal(
      whatIfCandidates(old, true, null).find((c) => c.kind === 'host-setting')!.disruption,
      'vm-restart',
    );
  });

  it('lifts the CPU limits below a VM’s vCPU count, and only those', () => {
    const cal = calibration('6.8.0-45-generic', 'stock-6.6', [null, null, null]);
    const limits = [2, undefined, 8];
    cal.scenario = {
      ...cal.scenario,
      vms: cal.scenario.vms.map((v, i) =>
        limits[i] === undefined ? v : { ...v, cpu: { weight: 100, period: 100_000_000, limit: limits[i] } },
      ),
    };
    const lift = whatIfCandidates(cal, false, null, ['db', 'web', 'batch']).filter(
      (c) => c.id === 'vm-setting:cpu-limit',
    );
    assert.deepEqual(
      lift.map((c) => c.target),
      ['no CPU limit on db'],
    );
    assert.deepEqual(
      lift[0]!.scenario.vms.map((v) => v.cpu?.limit),
      [undefined, undefined, 8],
    );
    assert.ok(lift[0]!.apply.some((a) => a.on === 'libvirt' && /vcpu_quota=-1/.test(a.how)));
  });

  it('orders by gain per disruption: a VM restart for 30 % beats a reboot for 60 %', () => {
    const change = (c: number) => ({ change: c, ci95: 0.01 });
    const p = (spin: number, useful: number) => ({
      pleExits: change(spin),
      usefulNs: change(useful),
      spinNs: change(spin),
    });
    assert.ok(priorityOf(p(-0.3, 0), 'vm-restart') > priorityOf(p(-0.6, 0), 'reboot'));
    assert.equal(priorityOf(p(-0.4, 0.1), 'vm-restart'), 0.25, '(0.4 + 0.1) / 2');
    assert.equal(priorityOf(p(0.2, -0.1), 'none'), 0, 'no gain');
  });
});
