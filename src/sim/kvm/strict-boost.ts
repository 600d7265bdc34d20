import { eligibleForDirectedYield, type SpinHost } from './directed-yield';
import { StockOnSpin56 } from './stock-5-6';
import type { Vcpu } from './vcpu';

/**
 * The paper's strict boost (Ishiguro et al., VEE 2021, patch 2 to virt/kvm/kvm_main.c, Linux 5.6):
 * candidates are judged by who is waiting for them. A preempted candidate passes as before, and in
 * user mode too if it holds the spinner's IPI bit (fixes the lost opportunity); a non-preempted one
 * (halted, or woken but not yet run) passes only if it is ready and holds the spinner's bit — so a
 * vCPU merely woken from halt is not boosted (fixes overboost).
 */
export class StrictBoostOnSpin extends StockOnSpin56 {
  override readonly name = 'kvm-5.6+strict-boost';

  protected override candidate(host: SpinHost, me: Vcpu, v: Vcpu, yieldToKernelMode: boolean): boolean {
    if (v === me) return false;
    const holdsMyBit = v.ipiReceived[me.index] === 1;
    if (v.preempted) {
      if (yieldToKernelMode && !v.preemptedInKernel && !holdsMyBit) return this.reject(host, me, v);
    } else if (!(v.ready && holdsMyBit)) {
      // KERNEL.md §4: "otherwise the spinner sets its bit and skips it".
      v.ipiReceived[me.index] = 1;
      return this.reject(host, me, v);
    }
    if (!eligibleForDirectedYield(v)) return this.reject(host, me, v);
    return true;
  }

  /** ipi_received: set when an IPI is sent to a scheduled-out vCPU. */
  override onIpi(sender: Vcpu, receiver: Vcpu): void {
    if (receiver.scheduledOut) receiver.ipiReceived[sender.index] = 1;
  }
}
