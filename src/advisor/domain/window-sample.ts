import type { NodeSample } from '../../telemetry';

/** The per-vCPU counters an analysis sums per VM. */
export type SummedCounter = 'runNs' | 'waitNs' | 'pleExits' | 'ipis';

/** One VM's counters in one sample, summed over its vCPUs. */
export interface VmSums {
  vm: string;
  /** The vCPUs the sample reported (none: only the VM's own statistics came). */
  vcpus: number[];
  /** Sums over the vCPUs that reported each counter. */
  runNs: number;
  waitNs: number;
  pleExits: number;
  /** IPIs sent, all destinations together. */
  ipis: number;
  /** Counters some reported vCPU lacked: a metric built on one of them is unknown, not zero. */
  incomplete: readonly SummedCounter[];
  /** The VM's own statistics, when the sample had them. */
  haltExits?: number;
  cpuPeriods?: number;
  cpuThrottledPeriods?: number;
}

/**
 * What a node's window keeps of a sample: per VM, its vCPUs' counters summed — all that findings,
 * fits and the agent's status read — instead of each vCPU's deltas with their per-destination IPI
 * counts. A decoded sample of a 64-pCPU node with about 120 vCPUs takes some 90 kB of heap, its
 * sums about 10 kB, and the window holds 30 of them for every node the replica owns (the bench's
 * memory table).
 */
export interface WindowSample {
  seq: number;
  timestampMs: number;
  intervalMs: number;
  missing: NodeSample['missing'];
  agent: NodeSample['agent'];
  vms: VmSums[];
}

/** Shared by every VM whose vCPUs reported every counter (most): no array of its own per sample. */
const COMPLETE: readonly SummedCounter[] = Object.freeze([]);

export function windowSample(sample: NodeSample): WindowSample {
  const byVm = new Map<string, VmSums>();
  const sumsOf = (vm: string) => {
    let sums = byVm.get(vm);
    if (!sums) {
      sums = { vm, vcpus: [], runNs: 0, waitNs: 0, pleExits: 0, ipis: 0, incomplete: COMPLETE };
      byVm.set(vm, sums);
    }
    return sums;
  };
  for (const v of sample.vcpus) {
    const sums = sumsOf(v.vm);
    sums.vcpus.push(v.vcpu);
    const add = (counter: SummedCounter, value: number | undefined) => {
      if (value !== undefined) sums[counter] += value;
      else if (!sums.incomplete.includes(counter)) sums.incomplete = [...sums.incomplete, counter];
    };
    add('runNs', v.runNs);
    add('waitNs', v.waitNs);
    add('pleExits', v.pleExits);
    add(
      'ipis',
      v.ipisSent?.reduce((a, x) => a + x.count, 0),
    );
  }
  for (const stats of sample.vms) {
    const sums = sumsOf(stats.vm);
    if (stats.haltExits !== undefined) sums.haltExits = stats.haltExits;
    if (stats.cpuPeriods !== undefined) sums.cpuPeriods = stats.cpuPeriods;
    if (stats.cpuThrottledPeriods !== undefined) sums.cpuThrottledPeriods = stats.cpuThrottledPeriods;
  }
  return {
    seq: sample.seq,
    timestampMs: sample.timestampMs,
    intervalMs: sample.intervalMs,
    missing: sample.missing,
    agent: sample.agent,
    vms: [...byVm.values()],
  };
}
