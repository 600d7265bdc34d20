import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../core/rng';
import { forEachIcrWrite, type DestMode } from '../guest/icr-writes';
import { Thread } from '../host/thread';
import { modelByName } from '../models';
import { parseScenario, type ScenarioInput } from '../scenario';
import { simulate } from '../simulate';
import type { IcrWrite, SpinHost } from './directed-yield';
import { StrictBoostOnSpin } from './strict-boost';
import { Vcpu } from './vcpu';

/** The writes of one round, copied out of the visitor. */
function icrWrites(receivers: Vcpu[], others: number, mode: DestMode): IcrWrite[] {
  const writes: IcrWrite[] = [];
  forEachIcrWrite(receivers, others, mode, (w) => writes.push({ ...w, receivers: [...w.receivers] }));
  return writes;
}

/** `n` vCPUs of one VM, every one scheduled out; the host answers only vcpusOf. */
function scheduledOut(n: number) {
  const vcpus = Array.from({ length: n }, (_, i) => {
    const v = new Vcpu(i, 0, i, n, new Thread(i, i, [0]), new Rng(i));
    v.scheduledOut = true;
    return v;
  });
  const host = { vcpusOf: () => vcpus } as unknown as SpinHost;
  /** The vCPUs whose bit for `sender` is set. */
  const marked = (sender: number) => vcpus.filter((v) => v.ipiReceived[sender] === 1).map((v) => v.index);
  return { vcpus, host, marked };
}

describe('the ICR writes a Linux guest makes for one round of IPIs', () => {
  const { vcpus } = scheduledOut(40);
  const pick = (...ids: number[]) => ids.map((i) => vcpus[i]!);

  it('x2apic_phys: one write per receiver, dest_id its APIC ID', () => {
    assert.deepEqual(
      icrWrites(pick(2, 17), 39, 'physical').map((w) => [w.destId, w.shorthand]),
      [
        [2, false],
        [17, false],
      ],
    );
  });

  it('x2apic_cluster: one write per cluster of 16, dest_id = cluster << 16 | bitmap', () => {
    const writes = icrWrites(pick(1, 2, 17), 39, 'cluster');
    assert.deepEqual(
      writes.map((w) => [w.destId, w.receivers.map((r) => r.index)]),
      [
        [0b110, [1, 2]],
        [(1 << 16) | 0b10, [17]],
      ],
    );
  });

  it('native_send_call_func_ipi() (832df3d47badc, 5.4): every other vCPU at once is one all-but-self shorthand, dest_id 0', () => {
    const writes = icrWrites(pick(1, 2, 3), 3, 'physical');
    assert.deepEqual(
      writes.map((w) => [w.destId, w.shorthand, w.receivers.length]),
      [[0, true, 3]],
    );
    assert.equal(icrWrites(pick(1), 1, 'cluster')[0]!.shorthand, false, 'a single receiver: a single IPI');
  });
});

describe('the paper’s strict boost marks kvm_get_vcpu_by_id(irq->dest_id)', () => {
  it('physical mode: the receiver', () => {
    const { vcpus, host, marked } = scheduledOut(8);
    const policy = new StrictBoostOnSpin();
    for (const w of icrWrites([vcpus[2]!], 7, 'physical')) policy.onIcrWrite(host, vcpus[0]!, w);
    assert.deepEqual(marked(0), [2]);
  });

  it('cluster mode: the vCPU whose id is the bitmap (to vCPU 2: vCPU 4), or none (to vCPU 3 of 8: id 8)', () => {
    const { vcpus, host, marked } = scheduledOut(8);
    const policy = new StrictBoostOnSpin();
    for (const w of icrWrites([vcpus[2]!], 7, 'cluster')) policy.onIcrWrite(host, vcpus[0]!, w);
    assert.deepEqual(marked(0), [4]);
    for (const w of icrWrites([vcpus[3]!], 7, 'cluster')) policy.onIcrWrite(host, vcpus[1]!, w);
    assert.deepEqual(marked(1), [], 'no vCPU 8: the RFC would dereference NULL; the model marks none');
  });

  it('a shorthand: vCPU 0, whoever received it', () => {
    const { vcpus, host, marked } = scheduledOut(4);
    const policy = new StrictBoostOnSpin();
    for (const w of icrWrites(vcpus.slice(0, 3), 3, 'physical')) policy.onIcrWrite(host, vcpus[3]!, w);
    assert.deepEqual(marked(3), [0]);
  });

  it('on a host: the strict boost honours fewer boosts of IPI receivers when the guest addresses them in cluster mode', () => {
    // Two 8-vCPU VMs on 4 pCPUs sending unicast cross-calls and holding locks.
    const run = (destMode: 'cluster' | 'physical') => {
      const input: ScenarioInput = {
        host: { pcpus: 4, kernel: '5.6.0' },
        vms: [
          {
            name: 'vm',
            count: 2,
            vcpus: 8,
            workload: {
              userShare: 0.5,
              ipis: { perSecond: 20000, targets: 1, kind: 'call-function', destMode },
              locks: { count: 2, perSecond: 10000, hold: '5us' },
            },
          },
        ],
        duration: '300ms',
        seed: 2,
      };
      const r = simulate(parseScenario(input), modelByName('ple-kvm').name);
      return r.vcpus.reduce((a, v) => a + v.lostOpportunities, 0);
    };
    const physical = run('physical');
    const cluster = run('cluster');
    assert.ok(cluster > physical, `lost opportunities: physical ${physical}, cluster ${cluster}`);
  });
});
