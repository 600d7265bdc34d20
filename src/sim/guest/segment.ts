import type { Host } from '../host/ports';
import { NextOp, type Vcpu } from '../kvm/vcpu';

/**
 * Draws the next stretch of compute of a vCPU whose burst has work left: its length, the
 * operation that ends it and whether it runs in user mode — now, or ahead of time for a section
 * run ahead (the vCPU's own demand stream, so the same draws in the same order either way).
 */
export function drawSegment(h: Host, v: Vcpu): void {
  const vm = h.vms[v.vm]!;
  const rate = vm.lockRatePerNs + vm.ipiRatePerNs + vm.mutexRatePerNs;
  const gap = rate > 0 ? v.demand.exponentialNs(1 / rate) : Infinity;
  let segment = v.burstLeftNs;
  v.drawnNextOp = NextOp.EndBurst;
  if (gap < segment) {
    segment = gap;
    const u = v.demand.uniform() * rate;
    v.drawnNextOp =
      u < vm.lockRatePerNs
        ? NextOp.Lock
        : u < vm.lockRatePerNs + vm.ipiRatePerNs
          ? NextOp.IpiRound
          : NextOp.Mutex;
  }
  v.drawnSegmentNs = segment;
  v.drawnUserMode = v.demand.uniform() < vm.work.userShare;
  v.drawn = true;
}
