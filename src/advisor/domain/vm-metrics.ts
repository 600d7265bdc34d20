import type { NodeSample, SignalName } from '../../telemetry';

/** What a window says about one VM; null where the node could not give the signal. */
export interface VmMetrics {
  vm: string;
  vcpus: number;
  /** vCPU-seconds the window covers (vCPUs × covered time). */
  vcpuSeconds: number;
  pleExitsPerVcpuSecond: number | null;
  /** Share of the VM's vCPU time spent waiting in a host run queue. */
  waitShare: number | null;
  /** Share of the VM's run time that was at least spinning: PLE exits × the base window (a lower bound). */
  spinShareLowerBound: number | null;
  runNs: number | null;
  /** Share of CFS periods its cgroup was throttled in (cpu.stat); null without a CPU limit. */
  throttledRatio: number | null;
}

/**
 * Sums a window's samples per VM. A counter absent from any sample makes the metric null (and the
 * missing signal is reported), never zero.
 */
export function vmMetrics(
  samples: readonly NodeSample[],
  pleWindowNs: number,
): { vms: VmMetrics[]; missing: SignalName[] } {
  const missing = new Set<SignalName>();
  const sums = new Map<
    string,
    { vcpus: Set<number>; ms: number; ple: number | null; run: number | null; wait: number | null }
  >();
  for (const s of samples) {
    for (const m of s.missing) missing.add(m.signal);
    const seen = new Set<string>();
    for (const v of s.vcpus) {
      let acc = sums.get(v.vm);
      if (!acc) sums.set(v.vm, (acc = { vcpus: new Set(), ms: 0, ple: 0, run: 0, wait: 0 }));
      acc.vcpus.add(v.vcpu);
      if (!seen.has(v.vm)) {
        acc.ms += s.intervalMs;
        seen.add(v.vm);
      }
      acc.ple = v.pleExits === undefined || acc.ple === null ? null : acc.ple + v.pleExits;
      acc.run = v.runNs === undefined || acc.run === null ? null : acc.run + v.runNs;
      acc.wait = v.waitNs === undefined || acc.wait === null ? null : acc.wait + v.waitNs;
    }
  }
  // cpu.stat of the VM's limited cgroup: periods and throttled periods over the window.
  const periods = new Map<string, { periods: number; throttled: number }>();
  for (const s of samples)
    for (const v of s.vms) {
      if (v.cpuPeriods === undefined || v.cpuThrottledPeriods === undefined) continue;
      const p = periods.get(v.vm) ?? { periods: 0, throttled: 0 };
      p.periods += v.cpuPeriods;
      p.throttled += v.cpuThrottledPeriods;
      periods.set(v.vm, p);
    }
  const vms = [...sums].map(([vm, acc]) => {
    const p = periods.get(vm);
    const vcpuSeconds = (acc.vcpus.size * acc.ms) / 1000;
    const total = acc.run !== null && acc.wait !== null ? acc.run + acc.wait : null;
    return {
      vm,
      vcpus: acc.vcpus.size,
      vcpuSeconds,
      pleExitsPerVcpuSecond: acc.ple === null || vcpuSeconds === 0 ? null : acc.ple / vcpuSeconds,
      waitShare: total ? acc.wait! / total : null,
      spinShareLowerBound:
        acc.ple === null || !acc.run ? null : Math.min(1, (acc.ple * pleWindowNs) / acc.run),
      runNs: acc.run,
      throttledRatio: p && p.periods > 0 ? Math.min(1, p.throttled / p.periods) : null,
    };
  });
  return { vms: vms.sort((a, b) => a.vm.localeCompare(b.vm)), missing: [...missing].sort() };
}
