import type { HostModel } from '../host/host-model';
import { ThreadState } from '../host/thread';
import { YieldResult } from './directed-yield';
import type { Vcpu } from './vcpu';

/**
 * kvm_sched_yield() (arch/x86/kvm/x86.c): the hypercall side of a guest's directed yield —
 * KVM_HC_SCHED_YIELD (PV sched yield) and, after the kick, KVM_HC_KICK_CPU (PV spinlock unlock).
 * No spin-loop filters apply, unlike kvm_vcpu_on_spin(): the attempt is counted
 * (directed_yield_attempted, 5.13), then a target that is not `ready` (not preempted or woken) or
 * is the caller itself (a1fa4cbd53d9 "KVM: X86: Do not yield to self") is refused, else
 * kvm_vcpu_yield_to(). The model has no hypercall cost: a vCPU already switched out by the
 * wakeup it just caused cannot yield.
 */
export function kvmSchedYield(h: HostModel, from: Vcpu, to: Vcpu): void {
  if (from.thread.state !== ThreadState.Running) return;
  from.pvYieldAttempted++;
  if (!to.ready || to === from) return;
  if (h.directedYield(from, to) === YieldResult.Boosted) from.pvYieldSuccessful++;
}
