import type { SpinHost } from './directed-yield';
import { StockOnSpin56 } from './stock-5-6';
import type { Vcpu } from './vcpu';

/**
 * Linux 5.13 (commit "KVM: Boost vCPUs that are delivering interrupts"): a vCPU preempted in user
 * mode is not skipped if a posted interrupt is pending for it — which needs APICv, so never on SVM.
 * 6.11's "preempted/ready only if runnable and wants to run" changes nothing here: modelled
 * threads are always runnable when preempted.
 */
export class StockOnSpin513 extends StockOnSpin56 {
  override readonly name: string = 'kvm-5.13';

  protected override inKernelOrPending(host: SpinHost, v: Vcpu): boolean {
    return v.preemptedInKernel || (host.postedInterrupts && v.pendingInterrupt);
  }
}
