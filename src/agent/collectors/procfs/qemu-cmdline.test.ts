import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQemuCmdline } from './qemu-cmdline';

const pvOf = (...args: string[]) => parseQemuCmdline(['qemu-system-x86_64', ...args].join('\0')).pv;
const NONE = { tlbFlush: false, schedYield: false, ipi: false, spinlocks: false };
const ALL = { tlbFlush: true, schedYield: true, ipi: true, spinlocks: true };

describe('QEMU -cpu: the PV features a guest is offered', () => {
  it('host (libvirt host-passthrough) and max pass every one through; a named model none beyond the defaults', () => {
    assert.deepEqual(pvOf('-cpu', 'host,migratable=on'), ALL);
    assert.deepEqual(pvOf('-cpu', 'max'), ALL);
    assert.deepEqual(pvOf('-cpu', 'Skylake-Server-IBRS,ss=on,vmx=on'), NONE);
    assert.deepEqual(pvOf('-smp', '8'), NONE, 'no -cpu: qemu64');
  });

  it('named properties and +/- flags turn one on or off; the last -cpu wins; kvm=off hides them all', () => {
    assert.deepEqual(pvOf('-cpu', 'Skylake-Server,kvm-pv-unhalt=on,+kvm-pv-tlb-flush'), {
      ...NONE,
      spinlocks: true,
      tlbFlush: true,
    });
    assert.deepEqual(pvOf('-cpu', 'host,kvm-pv-ipi=off,-kvm-pv-sched-yield'), {
      ...ALL,
      ipi: false,
      schedYield: false,
    });
    assert.deepEqual(pvOf('-cpu', 'host', '-cpu', 'EPYC'), NONE);
    assert.deepEqual(pvOf('-cpu', 'host,kvm=off'), NONE);
  });
});
