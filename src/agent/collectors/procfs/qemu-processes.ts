import { errorCode, Unreadable, type HostRoot } from '../../host-root';
import type { MissingReport } from '../../missing-report';
import { limitedCpuStat, type CgroupCpuStat } from './cgroup-cpu';
import { parseSchedstat, parseStatus, podUidOfCgroup, parseProcStat, vcpuIndexOfComm } from './proc-formats';
import { parseQemuCmdline, type PvFeatures, type QemuCmdline, type QmpMonitor } from './qemu-cmdline';
import { SnapshotCache } from './snapshot-cache';
import { disambiguate, wireSafeName } from './vm-names';

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
  /** Start time in clock ticks since boot (/proc/<pid>/stat): with the pid, which process this is. */
  startTicks?: number;
  /** The process's identity across snapshots: `<pid>@<startTicks>`. */
  key: string;
  /** The libvirt domain name (KubeVirt: `<namespace>_<vmi>`), or `qemu-<pid>`; unique on the node. */
  name: string;
  podUid?: string;
  /** The CPU-limited cgroup it runs under and its cpu.stat, if it has a limit. */
  cpuStat?: CgroupCpuStat;
  vcpus: VcpuThread[];
  /** The QMP monitor its command line names. */
  monitor: QmpMonitor | null;
  /** The PV features its `-cpu` offers; null when the command line could not be read. */
  pv: PvFeatures | null;
  /** Started without `-name debug-threads=on`: its vCPU threads can only be found through QMP. */
  unnamedVcpus: boolean;
}

export interface ProcfsResult {
  vms: QemuProcess[];
  /** Unreadable or malformed files met (counted; the reasons went to the report). */
  errors: number;
}

const QEMU_COMM = /^(qemu-system-|qemu-kvm)/;

/** What procfs says once in a process's life, kept between snapshots (see SnapshotCache). */
export class ProcfsCache {
  /** `<pid>@<start>/<tid>` → vCPU index, or null for another thread. */
  readonly threads = new SnapshotCache<number | null>();
  /** `<pid>@<start>` → its parsed command line. */
  readonly cmdlines = new SnapshotCache<QemuCmdline>();

  endSnapshot(): void {
    this.threads.endSnapshot();
    this.cmdlines.endSnapshot();
  }
}

/**
 * QEMU processes and their vCPU threads from /proc: `comm` names the process and each
 * `task/<tid>/comm` "CPU <n>/KVM" names a vCPU; schedstat and status give its counters. Every
 * file may be gone (the process exited), unreadable (a security module) or malformed; each case
 * costs only what it concerns and says so in `report`.
 */
export async function collectQemuProcesses(
  root: HostRoot,
  report: MissingReport,
  cache: ProcfsCache,
): Promise<ProcfsResult> {
  const result: ProcfsResult = { vms: [], errors: 0 };
  try {
    for (const entry of await root.list('proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const vm = await readProcess(root, Number(entry), report, cache, result);
        if (vm) result.vms.push(vm);
      } catch (err) {
        // Only the identity files come here: whether a process is QEMU, and which one.
        result.errors++;
        report.add('vmIdentity', `${errorCode(err)} reading process files`, `pid ${entry}`);
      }
    }
  } finally {
    cache.endSnapshot();
  }
  for (const vm of disambiguate(result.vms))
    report.add('vmIdentity', 'name shared by several QEMU processes, suffixed with @pid', vm.name);
  result.vms.sort((a, b) => a.pid - b.pid);
  return result;
}

/** One process: null when it is not QEMU or is exiting. */
async function readProcess(
  root: HostRoot,
  pid: number,
  report: MissingReport,
  cache: ProcfsCache,
  result: ProcfsResult,
): Promise<QemuProcess | null> {
  const comm = await root.read('proc', String(pid), 'comm');
  if (comm === null || !QEMU_COMM.test(comm.trim())) return null;
  const subject = `qemu-${pid}`;
  const stat = await readOrReport(
    root.read.bind(root),
    report,
    'vmIdentity',
    subject,
    'proc',
    String(pid),
    'stat',
  );
  if (stat === null) return null; // reaped since it was listed
  const life = stat === undefined ? null : parseProcStat(stat);
  // Exiting (a zombie, or its memory already released): not a VM any more, whatever was cached.
  if (life?.exiting) return null;
  const startTicks = life?.startTicks ?? null;
  if (stat !== undefined && startTicks === null) {
    result.errors++;
    report.add('vmIdentity', 'malformed stat, pid reuse undetectable', subject);
  }
  const key = `${pid}@${startTicks ?? '?'}`;
  let parsed = cache.cmdlines.get(key);
  let readable = true;
  if (!parsed) {
    const cmdline = await readOrReport(
      root.readMayBlock.bind(root),
      report,
      'vmIdentity',
      subject,
      'proc',
      String(pid),
      'cmdline',
    );
    // An exiting process shows an empty command line: not a VM any more.
    if (cmdline === null || cmdline === '') return null;
    parsed = parseQemuCmdline(cmdline ?? '');
    readable = cmdline !== undefined;
    // A denied read is tried again next time; what was read stays for the process's life.
    if (cmdline !== undefined && startTicks !== null) cache.cmdlines.set(key, parsed);
  }
  const safe = wireSafeName(parsed.name ?? `qemu-${pid}`);
  if (safe.changed) report.add('vmIdentity', safe.changed, safe.name);
  const vm: QemuProcess = {
    pid,
    key,
    name: safe.name,
    vcpus: [],
    monitor: parsed.monitor,
    pv: readable ? parsed.pv : null,
    unnamedVcpus: false,
    ...(startTicks !== null ? { startTicks } : {}),
  };
  const cgroup = await readOrReport(
    root.read.bind(root),
    report,
    'kubevirt',
    vm.name,
    'proc',
    String(pid),
    'cgroup',
  );
  const podUid = podUidOfCgroup(cgroup ?? '');
  if (podUid) vm.podUid = podUid;
  try {
    const cpuStat = cgroup ? await limitedCpuStat(root, cgroup) : null;
    if (cpuStat) vm.cpuStat = cpuStat;
  } catch (err) {
    result.errors++;
    report.add('kvmStats', `${errorCode(err)} reading cpu.max/cpu.stat`, vm.name);
  }
  let tasks: string[] = [];
  try {
    tasks = await root.list('proc', String(pid), 'task');
  } catch (err) {
    result.errors++;
    report.add('schedstat', `${errorCode(err)} listing threads`, vm.name);
  }
  for (const task of tasks) {
    const tid = Number(task);
    const key = `${vm.key}/${tid}`;
    let index = cache.threads.get(key);
    if (index === undefined) {
      try {
        const threadComm = await root.read('proc', String(pid), 'task', task, 'comm');
        if (threadComm === null) continue; // the thread exited
        index = vcpuIndexOfComm(threadComm);
        cache.threads.set(key, index);
      } catch (err) {
        result.errors++;
        report.add('schedstat', `${errorCode(err)} on a thread's comm`, `${vm.name} tid ${tid}`);
        continue;
      }
    }
    if (index === null) continue;
    const vcpu = await readVcpuThread(root, pid, tid, index, vm.name, report);
    if (!vcpu) continue;
    vm.vcpus.push(vcpu.thread);
    result.errors += vcpu.errors;
  }
  vm.vcpus.sort((a, b) => a.index - b.index);
  vm.unnamedVcpus = vm.vcpus.length === 0 && !parsed.debugThreads;
  return vm;
}

/** Text, null when absent, undefined when unreadable (reported under `signal` for `subject`). */
async function readOrReport(
  read: HostRoot['read'],
  report: MissingReport,
  signal: Parameters<MissingReport['add']>[0],
  subject: string,
  ...parts: string[]
): Promise<string | null | undefined> {
  try {
    return await read(...parts);
  } catch (err) {
    if (!(err instanceof Unreadable)) throw err;
    report.add(signal, `${err.code} on ${parts[parts.length - 1]}`, subject);
    return undefined;
  }
}

/**
 * schedstat and status of one vCPU thread (also for threads QMP named): null when the thread is
 * gone. A file unreadable or malformed leaves its counters out and says why under its signal.
 */
export async function readVcpuThread(
  root: HostRoot,
  pid: number,
  tid: number,
  index: number,
  vmName: string,
  report: MissingReport,
): Promise<{ thread: VcpuThread; errors: number } | null> {
  const thread: VcpuThread = { index, tid, affinity: [] };
  const label = `${vmName} CPU ${index}`;
  let errors = 0;
  const dir = ['proc', String(pid), 'task', String(tid)];
  const read = root.read.bind(root);
  const schedstat = await readOrReport(read, report, 'schedstat', label, ...dir, 'schedstat');
  const status = await readOrReport(read, report, 'contextSwitches', label, ...dir, 'status');
  if (schedstat === null && status === null) return null;
  if (schedstat === undefined || status === undefined) errors++;
  if (schedstat === null)
    report.node('schedstat', 'schedstat files absent (kernel built without CONFIG_SCHED_INFO)');
  else if (schedstat !== undefined) {
    const parsed = parseSchedstat(schedstat);
    if (parsed) Object.assign(thread, parsed);
    else {
      errors++;
      report.add('schedstat', 'malformed schedstat', label);
    }
  }
  if (typeof status === 'string') {
    const parsed = parseStatus(status);
    if (parsed) Object.assign(thread, parsed);
    else {
      errors++;
      report.add('contextSwitches', 'malformed status', label);
    }
  }
  return { thread, errors };
}
