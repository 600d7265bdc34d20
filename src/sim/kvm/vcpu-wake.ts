import type { FeatureId } from '../kernel-features';
import type { Vcpu } from './vcpu';

/**
 * kvm_vcpu_wake_up() (virt/kvm/kvm_main.c): waking a halted vCPU marks it `ready`, so
 * kvm_vcpu_on_spin takes it as a candidate — a vCPU woken by an IPI or a kick is about to do
 * what its sender waits for (d73eb57b80b9 "KVM: Boost vCPUs that are delivering interrupts",
 * Linux 5.3). Before it, on_spin took only `preempted` vCPUs (`if (!READ_ONCE(vcpu->preempted))
 * continue;`), which a woken vCPU is not: without the feature `ready` is set only where
 * kvm_sched_out sets `preempted`, so it stands for `preempted`.
 */
export function markWoken(h: { readonly features: ReadonlySet<FeatureId> }, v: Vcpu): void {
  if (h.features.has('ready-boost')) v.ready = true;
}
