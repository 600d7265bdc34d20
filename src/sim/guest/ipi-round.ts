import type { HostModel } from '../host/host-model';
import { ThreadState } from '../host/thread';
import { Activity, type Vcpu } from '../kvm/vcpu';
import { EnqueueKind } from '../sched/host-scheduler';

export function handlerNs(h: HostModel, v: Vcpu): number {
  return h.vms[v.vm]!.work.ipis.handler;
}

/** smp_call_function_many() with wait: IPIs to `targets` other vCPUs, then spin in csd_lock_wait. */
export function startRound(h: HostModel, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  const others = vm.vcpus.length - 1;
  const k = Math.min(vm.work.ipis.targets, others);
  if (k === 0) {
    h.nextSegment(v);
    return;
  }
  // Partial Fisher–Yates over the other vCPUs' indices.
  const pick = h.scratch;
  for (let i = 0, j = 0; i < vm.vcpus.length; i++) if (i !== v.index) pick[j++] = i;
  h.setActivity(v, Activity.SpinIpi, 0, false);
  v.roundPending = k;
  const wake = h.toWake;
  for (let i = 0; i < k; i++) {
    const j = i + h.rng.int(others - i);
    const r = vm.vcpus[pick[j]!]!;
    pick[j] = pick[i]!;
    v.ipisSent[r.index]!++;
    h.kvm.onIpi(v, r);
    r.handlerQueue.push(v.id);
    if (deliver(h, r)) wake.push(r);
  }
  h.armSpin(v);
  // Wake receivers last: a wakeup may preempt the sender, which is now fully in its spin state.
  while (wake.length > 0) h.wakeThread(wake.pop()!.thread, EnqueueKind.Wakeup);
}

/** Deliver an IPI; true when the receiver is halted and must be woken. */
export function deliver(h: HostModel, r: Vcpu): boolean {
  if (r.thread.state === ThreadState.Running) {
    if (r.activity !== Activity.Handler && !r.inExit) startHandler(h, r);
    return false;
  }
  r.pendingInterrupt = true;
  if (
    r.thread.state === ThreadState.Sleeping &&
    (r.activity === Activity.Halted || r.activity === Activity.PvHalted)
  ) {
    r.halted = false;
    r.ready = true; // kvm_vcpu_kick → kvm_vcpu_wake_up
    return true;
  }
  return false;
}

export function startHandler(h: HostModel, v: Vcpu): void {
  h.accountGuest(v);
  v.savedActivity = v.activity;
  v.savedRemainingNs = v.remainingNs;
  v.savedUserMode = v.userMode;
  v.pendingInterrupt = false;
  h.setActivity(v, Activity.Handler, handlerNs(h, v), false);
  h.pushGuest(v);
}

export function handlerDone(h: HostModel, sender: Vcpu): void {
  sender.roundPending--;
  if (
    sender.roundPending === 0 &&
    sender.activity === Activity.SpinIpi &&
    sender.thread.state === ThreadState.Running &&
    !sender.inExit
  )
    completeRound(h, sender);
}

export function completeRound(h: HostModel, v: Vcpu): void {
  v.ipiRounds++;
  h.nextSegment(v);
}
