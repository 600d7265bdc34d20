import type { HostRoot, Missing } from '../../host-root';
import { limitedCpuStat, type CgroupCpuStat } from './cgroup-cpu';
import {
  domainNameOfCmdline,
  parseSchedstat,
  parseStatus,
  podUidOfCgroup,
  vcpuIndexOfComm,
} from './proc-formats';

export interface VcpuThread {
  index: number;
  tid: number;
  /** Cumulative since the thread started; absent when the node cannot give it. */
  runNs?: number;
  waitNs?: number;
  timeslices?: number;
  voluntarySwitches?: number;
  involuntarySwitches?: number;
  affinity: number[];
}

export interface QemuProcess {
  pid: number;
  /** The libvirt domain name (KubeVirt: `<namespace>_<vmi>`), or `qemu-<pid>`. */
  name: string;
  podUid?: string;
  /** The CPU-limited cgroup it runs under and its cpu.stat, if it has a limit. */
  cpuStat?: CgroupCpuStat;
  vcpus: VcpuThread[];
}

export interface ProcfsResult {
  vms: QemuProcess[];
  /** Malformed files seen (counted, never thrown). */
  errors: number;
  missing: Missing[];
}

const QEMU_COMM = /^(qemu-system-|qemu-kvm)/;

/**
 * QEMU processes and their vCPU threads from /proc: `comm` names the process and each
 * `task/<tid>/comm` "CPU <n>/KVM" names a vCPU; schedstat and status give its counters.
 */
export async function collectQemuProcesses(
  root: HostRoot,
  known?: Map<string, number | null>,
): Promise<ProcfsResult> {
  const result: ProcfsResult = { vms: [], errors: 0, missing: [] };
  let schedstatMissing = false;
  for (const entry of await root.list('proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await root.read('proc', entry, 'comm');
    if (!comm || !QEMU_COMM.test(comm.trim())) continue;
    const pid = Number(entry);
    const cmdline = (await root.read('proc', entry, 'cmdline')) ?? '';
    const cgroup = (await root.read('proc', entry, 'cgroup')) ?? '';
    const vm: QemuProcess = { pid, name: domainNameOfCmdline(cmdline) ?? `qemu-${pid}`, vcpus: [] };
    const podUid = podUidOfCgroup(cgroup);
    if (podUid) vm.podUid = podUid;
    const cpuStat = await limitedCpuStat(root, cgroup);
    if (cpuStat) vm.cpuStat = cpuStat;
    for (const task of await root.list('proc', entry, 'task')) {
      // A thread keeps its name for life: `known` (pid/tid → vCPU index or null) spares re-reading it.
      const key = `${entry}/${task}`;
      let index = known?.get(key);
      if (index === undefined) {
        index = vcpuIndexOfComm((await root.read('proc', entry, 'task', task, 'comm')) ?? '');
        known?.set(key, index);
      }
      if (index === null) continue;
      const {
        counters,
        errors,
        schedstatMissing: absent,
      } = await readThreadCounters(root, pid, Number(task));
      const vcpu: VcpuThread = { index, tid: Number(task), ...counters };
      result.errors += errors;
      if (absent) schedstatMissing = true;
      vm.vcpus.push(vcpu);
    }
    vm.vcpus.sort((a, b) => a.index - b.index);
    result.vms.push(vm);
  }
  result.vms.sort((a, b) => a.pid - b.pid);
  if (schedstatMissing)
    result.missing.push({
      signal: 'schedstat',
      reason: 'schedstat files absent (kernel built without CONFIG_SCHED_INFO or sched_info off)',
    });
  return result;
}

/** schedstat and status of one thread (any process's: tests read live ones). */
export async function readThreadCounters(
  root: HostRoot,
  pid: number,
  tid: number,
): Promise<{ counters: Omit<VcpuThread, 'index' | 'tid'>; errors: number; schedstatMissing: boolean }> {
  const counters: Omit<VcpuThread, 'index' | 'tid'> = { affinity: [] };
  let errors = 0;
  const schedstat = await root.read('proc', String(pid), 'task', String(tid), 'schedstat');
  const parsed = schedstat === null ? null : parseSchedstat(schedstat);
  if (parsed) Object.assign(counters, parsed);
  else if (schedstat !== null) errors++;
  const status = await root.read('proc', String(pid), 'task', String(tid), 'status');
  const parsedStatus = status === null ? null : parseStatus(status);
  if (parsedStatus) Object.assign(counters, parsedStatus);
  else if (status !== null) errors++;
  return { counters, errors, schedstatMissing: schedstat === null };
}
