import type { HostRoot, Missing } from '../../host-root';

/** KVM's per-VM statistics in debugfs (/sys/kernel/debug/kvm/<pid>-<fd>/<stat>), summed over the VM's vCPUs. */
export interface VmKvmStats {
  pid: number;
  exits?: number;
  haltExits?: number;
  haltWakeup?: number;
  /** PV directed yields only (KVM_HC_SCHED_YIELD, KVM_HC_KICK_CPU); never PLE's. */
  directedYieldAttempted?: number;
  directedYieldSuccessful?: number;
  preemptionReported?: number;
}

const FILES: [keyof Omit<VmKvmStats, 'pid'>, string][] = [
  ['exits', 'exits'],
  ['haltExits', 'halt_exits'],
  ['haltWakeup', 'halt_wakeup'],
  ['directedYieldAttempted', 'directed_yield_attempted'],
  ['directedYieldSuccessful', 'directed_yield_successful'],
  ['preemptionReported', 'preemption_reported'],
];

export async function collectKvmDebugfs(
  root: HostRoot,
): Promise<{ vms: Map<number, VmKvmStats>; errors: number; missing: Missing[] }> {
  const vms = new Map<number, VmKvmStats>();
  let errors = 0;
  const dirs = await root.list('sys', 'kernel', 'debug', 'kvm');
  if (dirs.length === 0)
    return {
      vms,
      errors,
      missing: [
        { signal: 'kvmStats', reason: 'debugfs not mounted at /sys/kernel/debug or no access to kvm/' },
      ],
    };
  for (const dir of dirs) {
    const m = /^(\d+)-\d+$/.exec(dir);
    if (!m) continue;
    const stats: VmKvmStats = { pid: Number(m[1]) };
    for (const [key, file] of FILES) {
      const text = await root.read('sys', 'kernel', 'debug', 'kvm', dir, file);
      if (text === null) continue;
      if (/^\d+\s*$/.test(text)) stats[key] = Number(text.trim());
      else errors++;
    }
    vms.set(stats.pid, stats);
  }
  return { vms, errors, missing: [] };
}
