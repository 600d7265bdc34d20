import type { SpinHost } from './directed-yield';
import { StockOnSpin56 } from './stock-5-6';
import type { Vcpu } from './vcpu';

/**
 * Linux 5.13, commit 52acd22faa1a ("KVM: Boost vCPU candidate in user mode which is delivering
 * interrupt"): a vCPU preempted in user mode is not skipped if kvm_arch_dy_has_pending_interrupt()
 * — on x86 a posted interrupt pending in its PI descriptor, which needs APICv, so never on SVM.
 * (Not d73eb57b80b9 "KVM: Boost vCPUs that are delivering interrupts", 5.2, which this model cited
 * before: that one lets a *halted* vCPU with a pending interrupt be a candidate — vcpu_dy_runnable,
 * modelled in every version as dyRunnable.)
 * 6.11's "preempted/ready only if runnable and wants to run" changes nothing here: modelled
 * threads are always runnable when preempted.
 */
export class StockOnSpin513 extends StockOnSpin56 {
  override readonly name: string = 'kvm-5.13';

  protected override inKernelOrPending(host: SpinHost, v: Vcpu): boolean {
    return v.preemptedInKernel || (host.postedInterrupts && v.pendingInterrupt);
  }
}
