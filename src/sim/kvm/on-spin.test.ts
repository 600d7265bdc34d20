import { Rng } from '../core/rng';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Thread } from '../host/thread';
import { eligibleForDirectedYield, leaveSpinLoop, type SpinHost } from './directed-yield';
import { VMX_DEFAULTS, type PleConfig } from './ple';
import { IpiAwareOnSpin } from './ipi-aware';
import { kvmSchedIn, kvmSchedOut } from './preempt-notifiers';
import { StockOnSpin56 } from './stock-5-6';
import { StockOnSpin513 } from './stock-5-13';
import { StockOnSpin613, StockOnSpin619 } from './stock-6-13';
import { StrictBoostOnSpin } from './strict-boost';
import { Vcpu } from './vcpu';

const VMX_PLE: PleConfig = {
  vendor: 'vmx',
  enabled: true,
  ...VMX_DEFAULTS,
  cyclesPerUnit: 1,
  cpuGhz: 2,
  exitCostNs: 0,
};

/** A VM of `n` vCPUs and a host that records every yield_to and answers `answer`. */
function vm(n: number, answer: number | ((target: number) => number) = 1, posted = false) {
  const vcpus = Array.from({ length: n }, (_, i) => new Vcpu(i, 0, i, n, new Thread(i, i, [0]), new Rng(i)));
  const calls: number[] = [];
  let last = 0;
  const host: SpinHost = {
    vcpusOf: () => vcpus,
    lastBoosted: () => last,
    setLastBoosted: (_vm, i) => {
      last = i;
    },
    yieldTo: (_me, target) => {
      calls.push(target.index);
      return typeof answer === 'number' ? answer : answer(target.index);
    },
    skipped: () => undefined,
    postedInterrupts: posted,
    now: 0,
  };
  return { vcpus, calls, host, last: () => last, setLast: (i: number) => (last = i) };
}

/** Preempted while runnable, in kernel or user mode. */
function preempt(v: Vcpu, inKernel: boolean): void {
  v.preempted = true;
  v.ready = true;
  v.preemptedInKernel = inKernel;
  v.scheduledOut = true;
}

/** Woken from halt but not yet run: ready, not preempted. */
function wokenFromHalt(v: Vcpu): void {
  v.ready = true;
  v.scheduledOut = true;
}

describe('kvm_vcpu_on_spin candidate selection', () => {
  it('round-robins from last_boosted_vcpu + 1 and remembers the boosted index (5.6)', () => {
    const { vcpus, calls, host, last, setLast } = vm(4);
    vcpus.forEach((v) => preempt(v, true));
    setLast(2);
    new StockOnSpin56().onSpin(host, vcpus[0]!, true);
    assert.deepEqual(calls, [3]);
    assert.equal(last(), 3);
  });

  it('ends the search after three -ESRCH failures', () => {
    const { vcpus, calls, host } = vm(6, -1);
    vcpus.forEach((v) => preempt(v, true));
    new StockOnSpin56().onSpin(host, vcpus[0]!, true);
    assert.equal(calls.length, 3);
  });

  it('dy_eligible alternates for a vCPU that is itself in a spin loop', () => {
    const { vcpus } = vm(1);
    const v = vcpus[0]!;
    v.inSpinLoop = true;
    assert.deepEqual(
      [eligibleForDirectedYield(v), eligibleForDirectedYield(v), eligibleForDirectedYield(v)],
      [false, true, false],
    );
    v.inSpinLoop = false;
    assert.deepEqual([eligibleForDirectedYield(v), eligibleForDirectedYield(v)], [true, true]);
  });

  it('5.6 skips a vCPU preempted in user mode; ple-kvm boosts it when it holds the spinner’s IPI bit', () => {
    const stock = vm(2);
    preempt(stock.vcpus[1]!, false);
    new StockOnSpin56().onSpin(stock.host, stock.vcpus[0]!, true);
    new StockOnSpin56().onSpin(stock.host, stock.vcpus[0]!, true);
    assert.deepEqual(stock.calls, [], 'stock: lost opportunity, every time');
    const patched = vm(2);
    const receiver = patched.vcpus[1]!;
    preempt(receiver, false);
    const policy = new StrictBoostOnSpin();
    policy.onIcrWrite(patched.host, patched.vcpus[0]!, {
      receivers: [receiver],
      destId: 1,
      shorthand: false,
    });
    assert.equal(receiver.ipiReceived[0], 1, 'IPI to a scheduled-out vCPU sets the sender bit');
    policy.onSpin(patched.host, patched.vcpus[0]!, true);
    assert.deepEqual(patched.calls, [1]);
  });

  it('ple-kvm: a user-mode preempted candidate without the bit gets it and is skipped, then boosted (the patch, not KERNEL.md)', () => {
    const { vcpus, calls, host } = vm(2);
    preempt(vcpus[1]!, false);
    const policy = new StrictBoostOnSpin();
    policy.onSpin(host, vcpus[0]!, true);
    assert.deepEqual(calls, [], 'first spin: skipped');
    assert.equal(vcpus[1]!.ipiReceived[0], 1, 'the spinner set its bit');
    policy.onSpin(host, vcpus[0]!, true);
    assert.deepEqual(calls, [1], 'second spin: boosted without any IPI');
  });

  it('5.6 ends the search after a pass whose last attempt returned -ESRCH', () => {
    // last_boosted_vcpu 1: pass 0 tries 2 and 3; 3 answers -ESRCH, so pass 1 (0 and 1) never runs.
    const { vcpus, calls, host, setLast } = vm(4, (i) => (i === 3 ? -1 : 0));
    vcpus.forEach((v) => preempt(v, true));
    setLast(1);
    new StockOnSpin56().onSpin(host, vcpus[2]!, true);
    assert.deepEqual(calls, [3]);
    // A pass ending on a plain failure (0) goes on to the second pass.
    const zero = vm(4, 0);
    zero.vcpus.forEach((v) => preempt(v, true));
    zero.setLast(1);
    new StockOnSpin56().onSpin(zero.host, zero.vcpus[2]!, true);
    assert.deepEqual(zero.calls, [3, 0, 1]);
  });

  it('a spinner descheduled inside yield_to stays in its spin loop until it runs again', () => {
    const { vcpus, host } = vm(2);
    const [me, other] = [vcpus[0]!, vcpus[1]!];
    preempt(other, true);
    // yield_to() boosts the target and schedule()s the spinner away: kvm_sched_out runs mid-loop.
    host.yieldTo = () => {
      kvmSchedOut({ now: 0 }, me, true);
      return 1;
    };
    me.inExit = true;
    new StockOnSpin56().onSpin(host, me, true);
    me.inExit = false;
    assert.equal(me.inSpinLoop, true, 'kvm_vcpu_on_spin has not returned');
    assert.deepEqual(
      [eligibleForDirectedYield(me), eligibleForDirectedYield(me)],
      [false, true],
      'other spinners find it eligible every other time',
    );
    kvmSchedIn({ ple: VMX_PLE, kvmOps: { haltEnded: () => undefined } }, me);
    assert.deepEqual([me.inSpinLoop, me.dyEligible], [false, false], 'back from yield_to: the loop ends');
    // Not descheduled: the loop ends at once.
    me.inSpinLoop = true;
    leaveSpinLoop(me);
    assert.equal(me.inSpinLoop, false);
  });

  it('5.13 boosts a user-mode vCPU with a pending posted interrupt, only with APICv', () => {
    const withApicv = vm(2, 1, true);
    preempt(withApicv.vcpus[1]!, false);
    withApicv.vcpus[1]!.pendingInterrupt = true;
    new StockOnSpin513().onSpin(withApicv.host, withApicv.vcpus[0]!, true);
    assert.deepEqual(withApicv.calls, [1]);
    const svm = vm(2, 1, false);
    preempt(svm.vcpus[1]!, false);
    svm.vcpus[1]!.pendingInterrupt = true;
    new StockOnSpin513().onSpin(svm.host, svm.vcpus[0]!, true);
    assert.deepEqual(svm.calls, []);
  });

  it('a vCPU woken from halt is a candidate under stock, and not under ple-kvm unless it holds the bit', () => {
    const stock = vm(2);
    wokenFromHalt(stock.vcpus[1]!);
    new StockOnSpin56().onSpin(stock.host, stock.vcpus[0]!, true);
    assert.deepEqual(stock.calls, [1], 'stock: overboost');

    const patched = vm(2);
    const woken = patched.vcpus[1]!;
    wokenFromHalt(woken);
    new StrictBoostOnSpin().onSpin(patched.host, patched.vcpus[0]!, true);
    assert.deepEqual(patched.calls, [], 'strict boost: skipped');
    const withBit = vm(2);
    wokenFromHalt(withBit.vcpus[1]!);
    withBit.vcpus[1]!.markIpiFrom(0);
    new StrictBoostOnSpin().onSpin(withBit.host, withBit.vcpus[0]!, true);
    assert.deepEqual(withBit.calls, [1], 'it was sent the spinner’s IPI: boosted');
  });

  it('a halted vCPU with nothing pending is skipped; a PV kick makes it a candidate', () => {
    const { vcpus, calls, host } = vm(2);
    vcpus[1]!.ready = true;
    vcpus[1]!.halted = true;
    new StockOnSpin56().onSpin(host, vcpus[0]!, true);
    assert.deepEqual(calls, []);
    vcpus[1]!.pvUnhalted = true;
    new StockOnSpin56().onSpin(host, vcpus[0]!, true);
    assert.deepEqual(calls, [1]);
  });

  it('6.13–6.18 store the loop offset as last_boosted_vcpu; 6.19 stores the index', () => {
    for (const [policy, expected] of [
      [new StockOnSpin613(), 0],
      [new StockOnSpin619(), 3],
    ] as const) {
      const { vcpus, host, last, setLast } = vm(4);
      vcpus.forEach((v) => preempt(v, true));
      setLast(2);
      policy.onSpin(host, vcpus[1]!, true);
      assert.equal(last(), expected, policy.name);
    }
  });

  it('semantics-aware v1: the pending unicast IPI receiver first, woken vCPUs no longer, user-mode ones in round 2', () => {
    const policy = new IpiAwareOnSpin();
    // A woken receiver of the spinner's unicast IPI is boosted; a woken stranger is not.
    const ipi = vm(3);
    wokenFromHalt(ipi.vcpus[1]!);
    wokenFromHalt(ipi.vcpus[2]!);
    policy.onIcrWrite(ipi.host, ipi.vcpus[0]!, { receivers: [ipi.vcpus[2]!], destId: 4, shorthand: false });
    policy.onSpin(ipi.host, ipi.vcpus[0]!, true);
    assert.deepEqual(ipi.calls, [2]);
    // A multicast is not tracked: nothing to prefer, and woken vCPUs are not candidates.
    const multi = vm(3);
    wokenFromHalt(multi.vcpus[1]!);
    policy.onIcrWrite(multi.host, multi.vcpus[0]!, {
      receivers: [multi.vcpus[1]!, multi.vcpus[2]!],
      destId: 6,
      shorthand: false,
    });
    policy.onSpin(multi.host, multi.vcpus[0]!, true);
    assert.deepEqual(multi.calls, []);
    // A trapped EOI by the receiver ends the sender's wait; an APICv EOI (no exit) does not.
    const eoi = vm(2);
    wokenFromHalt(eoi.vcpus[1]!);
    policy.onIcrWrite(eoi.host, eoi.vcpus[0]!, { receivers: [eoi.vcpus[1]!], destId: 2, shorthand: false });
    policy.onEoi(eoi.host, eoi.vcpus[1]!, false);
    assert.equal(eoi.vcpus[0]!.ipiPending, true);
    policy.onEoi(eoi.host, eoi.vcpus[1]!, true);
    assert.equal(eoi.vcpus[0]!.ipiPending, false);
    // Round 1 skips a vCPU preempted in user mode; round 2 (relaxed) boosts it.
    const user = vm(2);
    preempt(user.vcpus[1]!, false);
    policy.onSpin(user.host, user.vcpus[0]!, true);
    assert.deepEqual(user.calls, [1]);
    assert.equal(user.last(), 1, 'the index, as patch 6 fixes it');
  });
});
