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
  /** The VM's own statistics, when the sample had them (debugfs, or every vCPU's QMP statistics summed). */
  haltExits?: number;
  /** PV directed yields asked for and those that switched (kvm_sched_yield). */
  directedYieldAttempted?: number;
  directedYieldSuccessful?: number;
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

/** KVM's statistics a window keeps per VM, from the VM's debugfs sums or its vCPUs' QMP statistics. */
const KVM_COUNTERS = ['haltExits', 'directedYieldAttempted', 'directedYieldSuccessful'] as const;
type KvmCounter = (typeof KVM_COUNTERS)[number];

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
  // Per-vCPU KVM statistics (QMP query-stats) summed per VM; null once one vCPU lacked them.
  const kvmOfVcpus = new Map<string, Record<KvmCounter, number | null>>();
  for (const v of sample.vcpus) {
    const sums = sumsOf(v.vm);
    sums.vcpus.push(v.vcpu);
    let kvm = kvmOfVcpus.get(v.vm);
    if (!kvm)
      kvmOfVcpus.set(v.vm, (kvm = { haltExits: 0, directedYieldAttempted: 0, directedYieldSuccessful: 0 }));
    for (const key of KVM_COUNTERS) {
      const value = v[key];
      kvm[key] = kvm[key] === null || value === undefined ? null : kvm[key] + value;
    }
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
  for (const [vm, kvm] of kvmOfVcpus)
    for (const key of KVM_COUNTERS) if (kvm[key] !== null) sumsOf(vm)[key] = kvm[key]!;
  // The VM's own debugfs sums, where the node gives them, count every vCPU: they come first.
  for (const stats of sample.vms) {
    const sums = sumsOf(stats.vm);
    for (const key of KVM_COUNTERS) if (stats[key] !== undefined) sums[key] = stats[key];
    // PLE exits the node could count only per VM (no hist triggers): the VM's sum is known.
    if (stats.pleExits !== undefined && sums.incomplete.includes('pleExits')) {
      sums.pleExits = stats.pleExits;
      sums.incomplete = sums.incomplete.filter((c) => c !== 'pleExits');
      if (sums.incomplete.length === 0) sums.incomplete = COMPLETE;
    }
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
