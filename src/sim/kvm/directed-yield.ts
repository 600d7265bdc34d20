import type { Vcpu } from './vcpu';

/** What kvm_vcpu_on_spin needs from the host model. */
export interface SpinHost {
  vcpusOf(vm: number): readonly Vcpu[];
  lastBoosted(vm: number): number;
  setLastBoosted(vm: number, index: number): void;
  /** kvm_vcpu_yield_to() → yield_to(): > 0 boosted, 0 not possible now, < 0 -ESRCH. */
  yieldTo(spinner: Vcpu, target: Vcpu): number;
  /** Bookkeeping for "lost opportunity": a filter skipped `candidate`. */
  skipped(spinner: Vcpu, candidate: Vcpu): void;
  /** Whether the APIC posts interrupts (APICv on VMX; never on SVM). */
  readonly postedInterrupts: boolean;
}

/** A kvm_vcpu_on_spin() variant: whom a spinning vCPU boosts. One file per kernel era or patch. */
export interface DirectedYieldPolicy {
  readonly name: string;
  onSpin(host: SpinHost, me: Vcpu, yieldToKernelMode: boolean): void;
  /** An IPI from `sender` to `receiver` (strict boost tracks senders of scheduled-out receivers). */
  onIpi(sender: Vcpu, receiver: Vcpu): void;
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
