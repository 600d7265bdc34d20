import type { HostRoot } from '../../host-root';

/** cpu.stat of a CPU-limited cgroup: cumulative CFS bandwidth counters. */
export interface CgroupCpuStat {
  /** The cgroup (v2 path) whose cpu.max limits the VM, and that cpu.max. */
  cgroup: string;
  quotaUs: number;
  periodUs: number;
  periods: number;
  throttledPeriods: number;
  throttledUs: number;
}

/** The cgroup v2 path of a process (`0::/path` in /proc/<pid>/cgroup), or null on cgroup v1. */
export function cgroupV2PathOf(procCgroup: string): string | null {
  const line = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3).trim() || '/' : null;
}

/** `nr_periods`, `nr_throttled`, `throttled_usec` of a cgroup v2 cpu.stat; null when they are not all there. */
export function parseCpuStat(text: string): Omit<CgroupCpuStat, 'cgroup' | 'quotaUs' | 'periodUs'> | null {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) fields.set(key, Number(value));
  }
  const periods = fields.get('nr_periods');
  const throttledPeriods = fields.get('nr_throttled');
  const throttledUs = fields.get('throttled_usec');
  if (periods === undefined || throttledPeriods === undefined || throttledUs === undefined) return null;
  return { periods, throttledPeriods, throttledUs };
}

/**
 * The CPU limit a QEMU process runs under: the nearest cgroup at or above its own whose cpu.max
 * is not `max` (KubeVirt: the virt-launcher pod's, set from the VM's CPU limit; libvirt: the
 * machine scope's, from <cputune>), and that cgroup's cpu.stat. Null without a limit.
 */
export async function limitedCpuStat(root: HostRoot, procCgroup: string): Promise<CgroupCpuStat | null> {
  let path = cgroupV2PathOf(procCgroup);
  while (path && path !== '/') {
    const parts = path.split('/').filter(Boolean);
    const max = await root.read('sys', 'fs', 'cgroup', ...parts, 'cpu.max');
    const [quota, period] = max?.trim().split(/\s+/) ?? [];
    if (quota && quota !== 'max') {
      const stat = await root.read('sys', 'fs', 'cgroup', ...parts, 'cpu.stat');
      const parsed = stat === null ? null : parseCpuStat(stat);
      const quotaUs = Number(quota);
      const periodUs = Number(period ?? 100_000);
      if (!parsed || !(quotaUs > 0) || !(periodUs > 0)) return null;
      return { cgroup: path, quotaUs, periodUs, ...parsed };
    }
    path = path.slice(0, path.lastIndexOf('/')) || '/';
  }
  return null;
}
