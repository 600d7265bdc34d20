import type { Host } from '../host/ports';
import { ThreadState } from '../host/thread';
import { Activity, type Vcpu } from '../kvm/vcpu';
import { EnqueueKind } from '../sched/host-scheduler';
import { canRunAhead, runAhead, settleSection } from './section-ahead';

/** PV spinlock: SPIN_THRESHOLD = 2^15 PAUSE iterations before pv_wait halts. */
const PV_SPIN_ITERATIONS = 1 << 15;

/**
 * How long a PV waiter spins before pv_wait() halts it: 2^15 PAUSEs, or none when pv_wait_early()
 * says so. pv_wait_node() (kernel/locking/qspinlock_paravirt.h) checks its predecessor in the
 * queue at the first spin and every 256 (PV_PREV_CHECK_MASK): since cd0272fab785 (4.5) a
 * predecessor that is not running (halted in pv_wait) sends the waiter to pv_wait at once;
 * 75437bb304b2 added "or its vCPU is preempted" (vcpu_is_preempted, steal time), which
 * 89340d0935c9 (5.4, Cc stable) reverted — the guest feature `pv-wait-early`. The queue head
 * (waiters[0], which the unlocker hands the lock) always spins its full budget. The model checks
 * when the waiter starts or resumes spinning, not every 256 spins.
 */
export function pvSpinNs(h: Host, v: Vcpu): number {
  const waiters = h.vms[v.vm]!.lockWaiters[v.lock]!;
  const at = waiters.indexOf(v.id);
  if (at > 0) {
    const prev = h.vcpus[waiters[at - 1]!]!;
    if (prev.activity === Activity.PvHalted || (prev.preempted && h.features.has('pv-wait-early'))) return 0;
  }
  return Math.round((PV_SPIN_ITERATIONS * h.scenario.host.cpu.pauseCycles) / h.scenario.host.cpu.ghz);
}

export function startLock(h: Host, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  v.lock = v.demand.int(vm.lockHolder.length);
  const holder = vm.lockHolder[v.lock]!;
  // A holder whose section runs ahead: done by now (the lock is free), or it gets its end event.
  if (holder >= 0 && h.vcpus[holder]!.sectionEndNs >= 0) settleSection(h, h.vcpus[holder]!);
  if (vm.lockHolder[v.lock] === -1) {
    acquire(h, v);
    if (canRunAhead(h, v)) runAhead(h, v);
    else h.guestOps.pushGuest(v);
    return;
  }
  vm.lockWaiters[v.lock]!.push(v.id);
  h.guestOps.setActivity(v, Activity.SpinLock, vm.work.pvSpinlocks ? pvSpinNs(h, v) : 0, false);
  h.guestOps.armSpin(v);
}

/** Takes the lock: the critical section begins (its end event is the caller's to push, or not). */
function acquire(h: Host, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  vm.lockHolder[v.lock] = v.id;
  h.guestOps.setActivity(v, Activity.CriticalSection, v.demand.exponentialNs(vm.work.locks.hold), false);
}

/** A spinner in the guest checks its lock: free (test-and-set) or handed to it (PV queue). */
export function tryTakeLock(h: Host, v: Vcpu): boolean {
  const vm = h.vms[v.vm]!;
  const holder = vm.lockHolder[v.lock]!;
  if (holder !== -1 && holder !== v.id) return false;
  const waiters = vm.lockWaiters[v.lock]!;
  const at = waiters.indexOf(v.id);
  if (at >= 0) waiters.splice(at, 1);
  acquire(h, v);
  h.guestOps.pushGuest(v);
  return true;
}

/**
 * Unlock. Without PV spinlocks the guest's qspinlock falls back to test-and-set under a
 * hypervisor (virt_spin_lock), so a waiter that is spinning right now takes it. With PV
 * (kernel/locking/qspinlock_paravirt.h, hybrid since 4.5): a queue head in its spinning loop has
 * set the pending bit (pv_wait_head_or_lock: set_pending), which stops lock stealing, so it takes
 * the lock next, even while its vCPU is preempted; a head that halted cleared the bit first
 * (clear_pending, then pv_hash and pv_wait), so the unlock frees the lock, kicks the head
 * (returned to the caller), and a waiter spinning right now may steal it first
 * (pv_hybrid_queued_unfair_trylock) — "because of lock stealing, the queue head vCPU may not be
 * able to acquire the lock before it has to wait again". The model lets any spinning waiter
 * steal; in the guest only those still in the unfair trylock loop, not yet queued, can.
 */
export function releaseLock(h: Host, v: Vcpu): Vcpu | null {
  const vm = h.vms[v.vm]!;
  const lock = v.lock;
  v.lock = -1;
  v.criticalSections++;
  vm.lockHolder[lock] = -1;
  const waiters = vm.lockWaiters[lock]!;
  if (waiters.length === 0) return null;
  if (vm.work.pvSpinlocks) {
    const head = h.vcpus[waiters[0]!]!;
    if (head.activity !== Activity.PvHalted) {
      vm.lockHolder[lock] = head.id;
      if (spinningInGuest(h, head)) tryTakeLock(h, head);
      return null;
    }
    stealBySpinner(h, waiters);
    return head.thread.state === ThreadState.Sleeping ? head : null;
  }
  stealBySpinner(h, waiters);
  return null;
}

/** A free lock goes to one of the waiters spinning on a CPU right now, if any (at random). */
function stealBySpinner(h: Host, waiters: readonly number[]): void {
  let running = 0;
  for (const id of waiters) if (spinningInGuest(h, h.vcpus[id]!)) h.scratch[running++] = id;
  if (running > 0) tryTakeLock(h, h.vcpus[h.scratch[h.rng.int(running)]!]!);
}

export function spinningInGuest(h: Host, v: Vcpu): boolean {
  return v.activity === Activity.SpinLock && v.thread.state === ThreadState.Running && !v.inExit;
}

/**
 * KVM_HC_KICK_CPU: wake the halted waiter (kvm_pv_kick_cpu_op), then, since 266e85a5ec91 (5.3,
 * `queue-head-boost`), kvm_sched_yield() to it.
 */
export function kick(h: Host, from: Vcpu, to: Vcpu): void {
  to.halted = false;
  if (to.polling) {
    // Still polling in kvm_vcpu_halt(): the kick ends the halt; nothing to wake, not `ready`.
    h.kvmOps.wakeFromPoll(to);
    h.guestOps.continueGuest(to);
  } else {
    to.pvUnhalted = true;
    h.kvmOps.markWoken(to); // kvm_pv_kick_cpu_op → kvm_vcpu_kick → kvm_vcpu_wake_up
    h.schedOps.wakeThread(to.thread, EnqueueKind.Wakeup, from.thread);
  }
  if (h.features.has('queue-head-boost')) h.kvmOps.kvmSchedYield(from, to);
}
