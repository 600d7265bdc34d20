import { counterValue } from '../procfs/proc-formats';
import { errorCode, type HostRoot } from '../../host-root';

/** KVM's per-VM statistics in debugfs (/sys/kernel/debug/kvm/<pid>-<fd>/<stat>), summed over the VM's vCPUs. */
export interface VmKvmStats {
  pid: number;
  exits?: number;
  haltExits?: number;
  haltWakeup?: number;
  /** PV directed yields only (kvm_sched_yield: KVM_HC_SCHED_YIELD, KVM_HC_KICK_CPU); never PLE's. */
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

export interface KvmDebugfsResult {
  vms: Map<number, VmKvmStats>;
  errors: number;
  /** Why a VM's statistics could not be read, by QEMU pid. */
  problems: Map<number, string>;
  /** Why none could be (debugfs absent or its kvm/ unreadable). */
  nodeProblem: string | null;
}

/**
 * Reads every VM's statistics directory. Kernel lockdown and security modules let the directory
 * be listed but answer EPERM on every file (seen on real hosts); that, like a malformed value,
 * costs that VM's statistics only.
 */
export async function collectKvmDebugfs(root: HostRoot): Promise<KvmDebugfsResult> {
  const result: KvmDebugfsResult = { vms: new Map(), errors: 0, problems: new Map(), nodeProblem: null };
  let dirs: string[];
  try {
    dirs = await root.list('sys', 'kernel', 'debug', 'kvm');
  } catch (err) {
    result.errors++;
    result.nodeProblem = `${errorCode(err)} listing /sys/kernel/debug/kvm`;
    return result;
  }
  if (dirs.length === 0) {
    result.nodeProblem = 'debugfs not mounted at /sys/kernel/debug (or no kvm/ in it)';
    return result;
  }
  for (const dir of dirs) {
    const m = /^(\d+)-\d+$/.exec(dir);
    if (!m) continue;
    const pid = Number(m[1]);
    const stats: VmKvmStats = { pid };
    let denied = false;
    for (const [key, file] of FILES) {
      let text: string | null;
      try {
        text = await root.read('sys', 'kernel', 'debug', 'kvm', dir, file);
      } catch (err) {
        // One denial means all of them: do not knock on every file of every VM.
        result.errors++;
        result.problems.set(
          pid,
          `${errorCode(err)} on debugfs kvm/<pid>-<fd>/ (lockdown or a security module)`,
        );
        denied = true;
        break;
      }
      if (text === null) continue;
      const value = counterValue(text.trim());
      if (value !== null) stats[key] = value;
      else {
        result.errors++;
        result.problems.set(pid, `malformed debugfs kvm/<pid>-<fd>/${file}`);
      }
    }
    if (!denied) result.vms.set(pid, stats);
  }
  return result;
}
