import {
  dyRunnable,
  eligibleForDirectedYield,
  type DirectedYieldPolicy,
  type SpinHost,
} from './directed-yield';
import type { Vcpu } from './vcpu';

/** Stock kvm_vcpu_on_spin() of Linux 5.6 (virt/kvm/kvm_main.c). */
export class StockOnSpin56 implements DirectedYieldPolicy {
  readonly name: string = 'kvm-5.6';

  /** The candidate filters, in the kernel's order. */
  protected candidate(host: SpinHost, me: Vcpu, v: Vcpu, yieldToKernelMode: boolean): boolean {
    if (!v.ready) return this.reject(host, me, v);
    if (v === me) return false;
    // Halted in kvm_vcpu_block with nothing pending: boosting it would achieve nothing.
    if (v.halted && !dyRunnable(v)) return this.reject(host, me, v);
    // PLE fires at CPL 0, so a vCPU preempted in user mode is assumed not to hold a kernel lock —
    // which also skips an IPI receiver preempted in user mode (the paper's "lost opportunity").
    if (v.preempted && yieldToKernelMode && !this.inKernelOrPending(host, v)) return this.reject(host, me, v);
    if (!eligibleForDirectedYield(v)) return this.reject(host, me, v);
    return true;
  }

  protected inKernelOrPending(_host: SpinHost, v: Vcpu): boolean {
    return v.preemptedInKernel;
  }

  protected reject(host: SpinHost, me: Vcpu, v: Vcpu): false {
    host.skipped(me, v);
    return false;
  }

  /** Two round-robin passes from last_boosted_vcpu + 1; three -ESRCH failures end the search. */
  onSpin(host: SpinHost, me: Vcpu, yieldToKernelMode: boolean): void {
    const vcpus = host.vcpusOf(me.vm);
    const last = host.lastBoosted(me.vm);
    let tries = 3;
    me.inSpinLoop = true;
    search: for (let pass = 0; pass < 2; pass++) {
      for (let i = pass === 0 ? last + 1 : 0; i < vcpus.length; i++) {
        if (pass === 1 && i > last) break;
        const v = vcpus[i]!;
        if (!this.candidate(host, me, v, yieldToKernelMode)) continue;
        const yielded = host.yieldTo(me, v);
        if (yielded > 0) {
          host.setLastBoosted(me.vm, i);
          break search;
        }
        if (yielded < 0 && --tries === 0) break search;
      }
    }
    me.inSpinLoop = false;
    me.dyEligible = false;
  }

  onIpi(_sender: Vcpu, _receiver: Vcpu): void {}
}
