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
    const vcpus = host.vcpusOf(me.vm);
    const n = vcpus.length;
    const start = host.lastBoosted(me.vm) + 1;
    let tries = 3;
    me.inSpinLoop = true;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      const v = vcpus[idx]!;
      if (!this.candidate(host, me, v, yieldToKernelMode)) continue;
      const yielded = host.yieldTo(me, v);
      if (yielded === YieldResult.Boosted) {
        host.setLastBoosted(me.vm, this.storesLoopOffset ? i : idx);
        break;
      }
      if (yielded === YieldResult.NoSuchTask && --tries === 0) break;
    }
    leaveSpinLoop(me);
  }
}

/** Linux 6.19: last_boosted_vcpu stores the vCPU index again. */
export class StockOnSpin619 extends StockOnSpin613 {
  override readonly name: string = 'kvm-6.19';
  protected override readonly storesLoopOffset = false;
}
