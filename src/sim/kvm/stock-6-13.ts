import { leaveSpinLoop, YieldResult, type SpinHost } from './directed-yield';
import { StockOnSpin513 } from './stock-5-13';
import type { Vcpu } from './vcpu';

/**
 * Linux 6.13–6.18: one loop `idx = (last + 1 + i) mod n`. A bug stores the loop offset `i`, not
 * `idx`, as last_boosted_vcpu, so the round-robin start drifts instead of following the last boost.
 * (6.13 also makes yield_to give up when a per-vCPU pid lock is contended; events here are atomic,
 * so that contention never arises in the model.)
 */
export class StockOnSpin613 extends StockOnSpin513 {
  override readonly name: string = 'kvm-6.13';
  protected readonly storesLoopOffset: boolean = true;

  override onSpin(host: SpinHost, me: Vcpu, yieldToKernelMode: boolean): void {
    me.inSpinLoop = true;
    this.scan(host, me, yieldToKernelMode, 1, { tries: 3 });
    leaveSpinLoop(me);
  }

  /**
   * One pass of the loop: the result of its last attempt. `budget.tries` (the function's `try`)
   * counts -ESRCH across passes, and only reaching exactly 0 ends one (`!--try`).
   */
  protected scan(
    host: SpinHost,
    me: Vcpu,
    yieldToKernelMode: boolean,
    round: number,
    budget: { tries: number },
  ): YieldResult {
    const vcpus = host.vcpusOf(me.vm);
    const n = vcpus.length;
    const start = host.lastBoosted(me.vm) + 1;
    let yielded: YieldResult = YieldResult.NotNow;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      const v = vcpus[idx]!;
      if (!this.accepts(host, me, v, yieldToKernelMode, round)) continue;
      yielded = host.yieldTo(me, v);
      if (yielded === YieldResult.Boosted) {
        host.setLastBoosted(me.vm, this.storesLoopOffset ? i : idx);
        break;
      }
      if (yielded === YieldResult.NoSuchTask && --budget.tries === 0) break;
    }
    return yielded;
  }

  /** The candidate filters of pass `round` (stock kernels make one pass). */
  protected accepts(host: SpinHost, me: Vcpu, v: Vcpu, yieldToKernelMode: boolean, _round: number): boolean {
    return this.candidate(host, me, v, yieldToKernelMode);
  }
}

/** Linux 6.19: last_boosted_vcpu stores the vCPU index again. */
export class StockOnSpin619 extends StockOnSpin613 {
  override readonly name: string = 'kvm-6.19';
  protected override readonly storesLoopOffset = false;
}
