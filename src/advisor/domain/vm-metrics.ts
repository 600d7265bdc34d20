import type { SignalName } from '../../telemetry';
import type { SummedCounter, WindowSample } from './window-sample';

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
  /** PV directed yields (kvm_sched_yield) asked for per vCPU-second; null where the node has no KVM statistics. */
  directedYieldsPerVcpuSecond: number | null;
  /** Share of them that switched to the target; null without statistics or attempts. */
  directedYieldSuccess: number | null;
}

/**
 * Sums a window's samples per VM. A counter absent from any sample makes the metric null (and the
 * missing signal is reported), never zero.
 */
export function vmMetrics(
  samples: readonly WindowSample[],
  pleWindowNs: number,
): { vms: VmMetrics[]; missing: SignalName[] } {
  const missing = new Set<SignalName>();
  const sums = new Map<
    string,
    { vcpus: Set<number>; ms: number; ple: number | null; run: number | null; wait: number | null }
  >();
  // cpu.stat of the VM's limited cgroup: periods and throttled periods over the window.
  const periods = new Map<string, { periods: number; throttled: number }>();
  // PV directed yields over the window; null once a sample lacked them.
  const yields = new Map<string, { attempted: number; successful: number } | null>();
  for (const s of samples) {
    for (const m of s.missing) missing.add(m.signal);
    for (const v of s.vms) {
      const y = yields.get(v.vm);
      if (y !== null)
        yields.set(
          v.vm,
          v.directedYieldAttempted === undefined || v.directedYieldSuccessful === undefined
            ? null
            : {
                attempted: (y?.attempted ?? 0) + v.directedYieldAttempted,
                successful: (y?.successful ?? 0) + v.directedYieldSuccessful,
              },
        );
      if (v.cpuPeriods !== undefined && v.cpuThrottledPeriods !== undefined) {
        const p = periods.get(v.vm) ?? { periods: 0, throttled: 0 };
        p.periods += v.cpuPeriods;
        p.throttled += v.cpuThrottledPeriods;
        periods.set(v.vm, p);
      }
      if (v.vcpus.length === 0) continue;
      let acc = sums.get(v.vm);
      if (!acc) sums.set(v.vm, (acc = { vcpus: new Set(), ms: 0, ple: 0, run: 0, wait: 0 }));
      for (const vcpu of v.vcpus) acc.vcpus.add(vcpu);
      acc.ms += s.intervalMs;
      const sum = (so: number | null, counter: SummedCounter) =>
        so === null || v.incomplete.includes(counter) ? null : so + v[counter];
      acc.ple = sum(acc.ple, 'pleExits');
      acc.run = sum(acc.run, 'runNs');
      acc.wait = sum(acc.wait, 'waitNs');
    }
  }
  const vms = [...sums].map(([vm, acc]) => {
    const p = periods.get(vm);
    const vcpuSeconds = (acc.vcpus.size * acc.ms) / 1000;
    const y = yields.get(vm) ?? null;
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
      directedYieldsPerVcpuSecond: y && vcpuSeconds > 0 ? y.attempted / vcpuSeconds : null,
      directedYieldSuccess: y && y.attempted > 0 ? Math.min(1, y.successful / y.attempted) : null,
    };
  });
  return { vms: vms.sort((a, b) => a.vm.localeCompare(b.vm)), missing: [...missing].sort() };
}
