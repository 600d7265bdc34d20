import { HostEvent } from '../host/host-event';
import type { Host } from '../host/ports';
import { ThreadState } from '../host/thread';
import { Activity, type Vcpu } from '../kvm/vcpu';
import { EnqueueKind } from '../sched/host-scheduler';

/**
 * Guest sleeping locks with optimistic spinning (kernel/locking/mutex.c __mutex_lock_common →
 * mutex_optimistic_spin → mutex_spin_on_owner; rwsems and the osq spin alike): a task that finds
 * the mutex held spins while the owner is on a CPU — `owner_on_cpu()`: owner->on_cpu &&
 * !vcpu_is_preempted(task_cpu(owner)) — and otherwise sleeps until the unlock wakes it.
 *
 * The guest sees its owner task on_cpu even when the host has preempted the owner's vCPU: without
 * the PV preempted hint (KVM_FEATURE_STEAL_TIME's `preempted`, kvm_vcpu_is_preempted), waiters
 * spin — and PLE-exit — for as long as the owner's vCPU waits for a pCPU. With it they sleep.
 */
function ownerOnCpu(h: Host, v: Vcpu, owner: Vcpu): boolean {
  return !(h.vms[v.vm]!.work.pv.preemptedHint && owner.preempted);
}

export function startMutex(h: Host, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  v.mutex = v.demand.int(vm.mutexOwner.length);
  vm.mutexWaiters[v.mutex]!.push(v.id);
  tryMutex(h, v);
}

/**
 * The waiter (running in the guest) looks at its mutex: takes it when free, spins while the
 * owner is on a CPU, else sleeps (the idle vCPU halts) until the unlock wakes it.
 */
export function tryMutex(h: Host, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  const owner = vm.mutexOwner[v.mutex]!;
  if (owner === -1) {
    const waiters = vm.mutexWaiters[v.mutex]!;
    waiters.splice(waiters.indexOf(v.id), 1);
    vm.mutexOwner[v.mutex] = v.id;
    h.guestOps.setActivity(v, Activity.CriticalSection, v.demand.exponentialNs(vm.work.mutexes.hold), false);
    h.guestOps.pushGuest(v);
    return;
  }
  if (ownerOnCpu(h, v, h.vcpus[owner]!)) {
    if (v.activity !== Activity.SpinMutex) h.guestOps.setActivity(v, Activity.SpinMutex, 0, false);
    h.guestOps.armSpin(v);
    return;
  }
  sleepOnMutex(h, v);
}

function sleepOnMutex(h: Host, v: Vcpu): void {
  h.guestOps.setActivity(v, Activity.MutexWait, 0, false);
  v.haltExits++;
  v.halted = true;
  h.kvmOps.kvmVcpuHalt(v);
}

/**
 * The owner's vCPU was preempted: with the hint, its spinning waiters see it at their next look
 * (an event now, after the host's switch completes) and give up to sleep.
 */
export function ownerPreempted(h: Host, owner: Vcpu): void {
  const vm = h.vms[owner.vm]!;
  if (!vm.work.pv.preemptedHint) return;
  for (let m = 0; m < vm.mutexOwner.length; m++) {
    if (vm.mutexOwner[m] !== owner.id) continue;
    for (const id of vm.mutexWaiters[m]!) {
      const w = h.vcpus[id]!;
      if (w.activity === Activity.SpinMutex && w.thread.state === ThreadState.Running && !w.inExit)
        h.queue.push(h.now, HostEvent.Guest, w.id, w.guestGen);
    }
  }
}

/**
 * mutex_unlock(): a waiter spinning in the guest right now takes it; otherwise the first waiter
 * asleep is returned, to be woken (wakeMutexWaiter) once the unlocker has moved on — a wakeup may
 * preempt the unlocker, which must be in its next activity by then.
 */
export function releaseMutex(h: Host, v: Vcpu): Vcpu | null {
  const vm = h.vms[v.vm]!;
  const m = v.mutex;
  v.mutex = -1;
  v.criticalSections++;
  vm.mutexOwner[m] = -1;
  const waiters = vm.mutexWaiters[m]!;
  const spinner = waiters.find((id) => {
    const w = h.vcpus[id]!;
    return w.activity === Activity.SpinMutex && w.thread.state === ThreadState.Running && !w.inExit;
  });
  if (spinner !== undefined) {
    tryMutex(h, h.vcpus[spinner]!);
    return null;
  }
  return waiters.map((id) => h.vcpus[id]!).find((w) => w.activity === Activity.MutexWait) ?? null;
}

/**
 * wake_up_q() by the unlocker `waker`: a reschedule IPI to the sleeping waiter's halted vCPU; it
 * tries again when it runs.
 */
export function wakeMutexWaiter(h: Host, sleeper: Vcpu, waker: Vcpu): void {
  if (sleeper.activity !== Activity.MutexWait) return;
  sleeper.halted = false;
  if (sleeper.polling) {
    h.kvmOps.wakeFromPoll(sleeper);
    tryMutex(h, sleeper);
  } else if (sleeper.thread.state === ThreadState.Sleeping) {
    h.kvmOps.markWoken(sleeper); // kvm_vcpu_kick → kvm_vcpu_wake_up
    h.schedOps.wakeThread(sleeper.thread, EnqueueKind.Wakeup, waker.thread);
  }
}
