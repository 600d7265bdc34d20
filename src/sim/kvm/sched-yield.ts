import type { Host } from '../host/ports';
import { ThreadState } from '../host/thread';
import { YieldResult } from './directed-yield';
import type { Vcpu } from './vcpu';

/**
 * kvm_sched_yield() (arch/x86/kvm/x86.c): the hypercall side of a guest's directed yield —
 * KVM_HC_SCHED_YIELD (PV sched yield) and, after the kick, KVM_HC_KICK_CPU (PV spinlock unlock).
 * No spin-loop filters apply, unlike kvm_vcpu_on_spin(): the attempt is counted
 * (directed_yield_attempted, 5.13); from 5.13 on a caller alone on its pCPU stops there
 * (single_task_running(), 72b268a8e930); then a target that is not `ready` (not preempted or woken) or
 * is the caller itself (a1fa4cbd53d9 "KVM: X86: Do not yield to self") is refused, else
 * kvm_vcpu_yield_to(). The model has no hypercall cost: a vCPU already switched out by the
 * wakeup it just caused cannot yield.
 */
export function kvmSchedYield(h: Host, from: Vcpu, to: Vcpu): void {
  if (from.thread.state !== ThreadState.Running) return;
  from.pvYieldAttempted++;
  // single_task_running(): the caller alone on its runqueue gives up its yield (72b268a8e930, 5.13;
  // after the attempt is counted, as merged in v3).
  if (h.features.has('undercommit-bailout') && h.rqs[from.thread.cpu]!.threads.length === 1) return;
  if (!to.ready || to === from) return;
  if (h.schedOps.directedYield(from, to) === YieldResult.Boosted) from.pvYieldSuccessful++;
}
