import type { Host, VmState } from '../host/ports';
import { ThreadState } from '../host/thread';
import { Activity, type Vcpu } from '../kvm/vcpu';
import { EnqueueKind } from '../sched/host-scheduler';
import { forEachIcrWrite } from './icr-writes';

export function handlerNs(h: Host, v: Vcpu): number {
  return h.vms[v.vm]!.work.ipis.handler;
}

/**
 * Whether KVM sees the VM's IPIs as trapped ICR writes (kvm_apic_send_ipi(), where the paper's
 * strict boost marks receivers): not when the guest sends PV IPIs (KVM_HC_SEND_IPI →
 * kvm_pv_send_ipi(), which delivers without kvm_apic_send_ipi) nor when the hardware virtualises
 * them — Intel IPIv posts the IPI without an exit; AVIC delivers to a running target without one,
 * and its incomplete-IPI exit for a target that is not running only wakes it.
 */
function ipiTraps(h: Host, vm: VmState): boolean {
  return !vm.work.pv.ipi && h.scenario.host.ipiVirtualization === 'none';
}

/**
 * A cross-call with wait: IPIs to `targets` other vCPUs, then spin in csd_lock_wait until each
 * ran the handler (smp_call_function_many_cond, which TLB shootdowns use too).
 * - PV TLB flush (kvm_flush_tlb_multi, arch/x86/kernel/kvm.c): for a shootdown, a receiver whose
 *   steal-time `preempted` flag is set (KVM sets it at sched-out of a runnable vCPU) gets
 *   KVM_VCPU_FLUSH_TLB instead of an IPI and flushes at its next VM entry: nobody waits for it.
 * - Lazy TLB (native_flush_tlb_multi, arch/x86/mm/tlb.c; kvm_flush_tlb_multi calls it with the
 *   receivers left after the PV filter): a shootdown that frees no page table IPIs only CPUs for
 *   which tlb_is_not_lazy() (5.x, up to 6.12) / should_flush_tlb() (from 6.13, with 209954cbc7d0's
 *   lazily trimmed mm_cpumask) is true. Both start with `if (per_cpu(cpu_tlbstate_shared.is_lazy,
 *   cpu)) return false`: a CPU that switched to its idle task (enter_lazy_tlb) flushes at its next
 *   context switch instead. So a halted receiver — idle, or asleep on a mutex — is neither IPI'd
 *   nor woken, unless the round frees page tables (`freedTables`), which goes to every CPU.
 *   A vCPU halted by pv_wait is not idle (its task still holds the mm) and is not skipped.
 * - PV sched yield (kvm_smp_send_call_func_ipi): after sending, the sender yields
 *   (KVM_HC_SCHED_YIELD) to the first receiver, in CPU order, that is preempted and not idle.
 */
export function startRound(h: Host, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  const others = vm.vcpus.length - 1;
  const k = Math.min(vm.work.ipis.targets, others);
  if (k === 0) {
    h.guestOps.nextSegment(v);
    return;
  }
  const { pv, ipis } = vm.work;
  const shootdown = ipis.kind === 'tlb-shootdown';
  const skipPreempted = pv.tlbFlush && shootdown;
  // One draw per round, and none when the share is 0: the demand stream stays the same.
  const skipLazy =
    shootdown && (ipis.freedTables === 0 || (ipis.freedTables < 1 && v.demand.uniform() >= ipis.freedTables));
  const traps = h.kvm.watchesIcrWrites && ipiTraps(h, vm);
  // Partial Fisher–Yates over the other vCPUs' indices.
  const pick = h.scratch;
  for (let i = 0, j = 0; i < vm.vcpus.length; i++) if (i !== v.index) pick[j++] = i;
  h.guestOps.setActivity(v, Activity.SpinIpi, 0, false);
  v.roundPending = 0;
  const wake = h.toWake;
  /** The receivers IPI'd by trapped ICR writes, when the policy watches kvm_apic_send_ipi(). */
  const sent: Vcpu[] | null = traps ? [] : null;
  let yieldTo: Vcpu | null = null;
  for (let i = 0; i < k; i++) {
    const j = i + v.demand.int(others - i);
    const r = vm.vcpus[pick[j]!]!;
    pick[j] = pick[i]!;
    if (skipPreempted && r.preempted) {
      v.tlbFlushesDeferred++;
      continue;
    }
    if (skipLazy && (r.activity === Activity.Halted || r.activity === Activity.MutexWait)) {
      v.tlbFlushesLazy++;
      continue;
    }
    v.roundPending++;
    v.ipisSent[r.index]!++;
    sent?.push(r);
    r.handlerQueue.push(v.id);
    if (deliver(h, r)) wake.push(r);
    if (pv.schedYield && r.preempted && (!yieldTo || r.index < yieldTo.index)) yieldTo = r;
  }
  if (sent) forEachIcrWrite(sent, others, ipis.destMode, (write) => h.kvm.onIcrWrite(h, v, write));
  if (v.roundPending === 0) {
    completeRound(h, v);
    return;
  }
  h.guestOps.armSpin(v);
  // Wake receivers last: a wakeup may preempt the sender, which is now fully in its spin state.
  // The sender wakes them (kvm_vcpu_kick() in its exit, or its hypercall), except under Intel
  // IPIv: no exit, and the posted-interrupt wakeup vector fires on the pCPU the receiver blocked on.
  const waker = h.scenario.host.ipiVirtualization === 'ipiv' ? undefined : v.thread;
  while (wake.length > 0) h.schedOps.wakeThread(wake.pop()!.thread, EnqueueKind.Wakeup, waker);
  if (yieldTo) h.kvmOps.kvmSchedYield(v, yieldTo);
}

/** Deliver an IPI; true when the receiver is halted and must be woken. */
export function deliver(h: Host, r: Vcpu): boolean {
  if (r.thread.state === ThreadState.Running) {
    // A halt-polling receiver sees the interrupt pending (kvm_vcpu_check_block) and stops polling.
    if (r.polling) {
      h.kvmOps.wakeFromPoll(r);
      r.halted = false;
    }
    if (r.activity !== Activity.Handler && !r.inExit) startHandler(h, r);
    return false;
  }
  r.pendingInterrupt = true;
  if (
    r.thread.state === ThreadState.Sleeping &&
    (r.activity === Activity.Halted || r.activity === Activity.PvHalted || r.activity === Activity.MutexWait)
  ) {
    r.halted = false;
    h.kvmOps.markWoken(r); // kvm_vcpu_kick → kvm_vcpu_wake_up
    return true;
  }
  return false;
}

export function startHandler(h: Host, v: Vcpu): void {
  h.guestOps.accountGuest(v);
  v.savedActivity = v.activity;
  v.savedRemainingNs = v.remainingNs;
  v.savedUserMode = v.userMode;
  v.pendingInterrupt = false;
  h.guestOps.setActivity(v, Activity.Handler, handlerNs(h, v), false);
  h.guestOps.pushGuest(v);
}

export function handlerDone(h: Host, sender: Vcpu): void {
  sender.roundPending--;
  if (
    sender.roundPending === 0 &&
    sender.activity === Activity.SpinIpi &&
    sender.thread.state === ThreadState.Running &&
    !sender.inExit
  )
    completeRound(h, sender);
}

export function completeRound(h: Host, v: Vcpu): void {
  v.ipiRounds++;
  h.guestOps.nextSegment(v);
}
