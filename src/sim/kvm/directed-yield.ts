import type { Vcpu } from './vcpu';

/** What yield_to() (kernel/sched/core.c) returns, and kvm_vcpu_yield_to() passes on. */
export const enum YieldResult {
  /** -ESRCH: both runqueues hold a single task; nothing to yield to. */
  NoSuchTask = -1,
  /** 0: the target runs already, sleeps, or the class refused. */
  NotNow = 0,
  /** 1: the target was boosted and the yielder rescheduled. */
  Boosted = 1,
}

/**
 * One write of the guest's ICR as KVM decodes it in kvm_apic_send_ipi(): the vCPUs it reaches,
 * the destination field (irq.dest_id: an APIC ID in physical mode, (cluster << 16) | a bitmap of
 * the cluster's 16 members in x2APIC cluster mode, 0 with a shorthand) and whether it used a
 * destination shorthand (all-but-self).
 */
export interface IcrWrite {
  readonly receivers: readonly Vcpu[];
  readonly destId: number;
  readonly shorthand: boolean;
}

/** What kvm_vcpu_on_spin needs from the host model. */
export interface SpinHost {
  vcpusOf(vm: number): readonly Vcpu[];
  lastBoosted(vm: number): number;
  setLastBoosted(vm: number, index: number): void;
  /** kvm_vcpu_yield_to() → yield_to(). */
  yieldTo(spinner: Vcpu, target: Vcpu): YieldResult;
  /** Bookkeeping for "lost opportunity": a filter skipped `candidate`. */
  skipped(spinner: Vcpu, candidate: Vcpu): void;
  /** Whether the APIC posts interrupts (APICv on VMX; never on SVM). */
  readonly postedInterrupts: boolean;
  /** The host clock (ktime), ns. */
  readonly now: number;
}

/** A kvm_vcpu_on_spin() variant: whom a spinning vCPU boosts. One file per kernel era or patch. */
export interface DirectedYieldPolicy {
  readonly name: string;
  onSpin(host: SpinHost, me: Vcpu, yieldToKernelMode: boolean): void;
  /** Whether it tracks trapped ICR writes (stock KVM does not: the guest's writes need not be built). */
  readonly watchesIcrWrites: boolean;
  /** A trapped ICR write (kvm_apic_send_ipi()) by `sender`: IPI-aware policies track it. */
  onIcrWrite(host: SpinHost, sender: Vcpu, write: IcrWrite): void;
  /** `receiver` wrote EOI after an IPI handler; `trapped` when the write exits (no APICv). */
  onEoi(host: SpinHost, receiver: Vcpu, trapped: boolean): void;
}

/** kvm_vcpu_eligible_for_directed_yield(): a spinning vCPU is eligible every other time it is checked. */
export function eligibleForDirectedYield(v: Vcpu): boolean {
  const eligible = !v.inSpinLoop || v.dyEligible;
  if (v.inSpinLoop) v.dyEligible = !v.dyEligible;
  return eligible;
}

/** vcpu_dy_runnable() → kvm_arch_dy_runnable(): a halted vCPU with a PV kick or pending event. */
export function dyRunnable(v: Vcpu): boolean {
  return v.pvUnhalted || v.pendingInterrupt;
}

/**
 * The end of kvm_vcpu_on_spin(): kvm_vcpu_set_in_spin_loop(me, false) and
 * kvm_vcpu_set_dy_eligible(me, false). A spinner that yield_to() descheduled (kernel/sched/core.c
 * yield_to() calls schedule() when it boosted) reaches this line only once it runs again: until
 * then it is still in its spin loop, and other spinners find it eligible every other time. Its
 * sched-in (kvmSchedIn) ends the loop.
 */
export function leaveSpinLoop(me: Vcpu): void {
  if (me.descheduledInSpinLoop) return;
  me.inSpinLoop = false;
  me.dyEligible = false;
}
