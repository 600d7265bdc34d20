import {
  dyRunnable,
  eligibleForDirectedYield,
  leaveSpinLoop,
  YieldResult,
  type DirectedYieldPolicy,
  type IcrWrite,
  type SpinHost,
} from './directed-yield';
import type { Vcpu } from './vcpu';

/** Stock kvm_vcpu_on_spin() of Linux 5.6 (virt/kvm/kvm_main.c). */
export class StockOnSpin56 implements DirectedYieldPolicy {
  readonly name: string = 'kvm-5.6';
  readonly watchesIcrWrites: boolean = false;

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

  /**
   * Two round-robin passes, from last_boosted_vcpu + 1 to the end, then from 0 to
   * last_boosted_vcpu: `for (pass = 0; pass < 2 && !yielded && try; pass++)` (kvm_vcpu_on_spin,
   * virt/kvm/kvm_main.c, v5.6 to v6.12). `yielded` keeps the last attempt's result, so a pass whose
   * last attempt returned -ESRCH ends the search too, not only the third -ESRCH.
   */
  onSpin(host: SpinHost, me: Vcpu, yieldToKernelMode: boolean): void {
    const vcpus = host.vcpusOf(me.vm);
    const last = host.lastBoosted(me.vm);
    let tries = 3;
    let yielded = YieldResult.NotNow;
    me.inSpinLoop = true;
    for (let pass = 0; pass < 2 && yielded === YieldResult.NotNow && tries > 0; pass++) {
      for (let i = pass === 0 ? last + 1 : 0; i < vcpus.length; i++) {
        if (pass === 1 && i > last) break;
        const v = vcpus[i]!;
        if (!this.candidate(host, me, v, yieldToKernelMode)) continue;
        yielded = host.yieldTo(me, v);
        if (yielded === YieldResult.Boosted) {
          host.setLastBoosted(me.vm, i);
          break;
        }
        if (yielded === YieldResult.NoSuchTask && --tries === 0) break;
      }
    }
    leaveSpinLoop(me);
  }

  onIcrWrite(_host: SpinHost, _sender: Vcpu, _write: IcrWrite): void {}

  onEoi(_host: SpinHost, _receiver: Vcpu, _trapped: boolean): void {}
}
