/** Parsers for /proc files in the exact formats the kernel prints. Each returns null on a malformed input. */

/**
 * A kernel counter as decimal text, or null when it is not one JavaScript holds exactly: the
 * kernel prints u64s, and a value past 2^53 (a corrupted read, a u64 that wrapped to 2^64−1) would
 * become a delta no schema accepts. 2^53 ns is 104 days of one thread's run time; a thread that
 * ran longer reports the signal missing rather than a rounded number.
 */
export function counterValue(text: string): number | null {
  if (!/^\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** /proc/<pid>/task/<tid>/schedstat: "<run ns> <run-queue wait ns> <timeslices>\n" (kernel/sched/stats.c). */
export function parseSchedstat(text: string): { runNs: number; waitNs: number; timeslices: number } | null {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(text);
  if (!m) return null;
  const [runNs, waitNs, timeslices] = [m[1]!, m[2]!, m[3]!].map(counterValue);
  if (runNs === null || waitNs === null || timeslices === null) return null;
  return { runNs: runNs!, waitNs: waitNs!, timeslices: timeslices! };
}

/**
 * What /proc/<pid>/stat says of a process's identity and life (fs/proc/array.c do_task_stat):
 * its start time in clock ticks since boot (field 22) — with the pid, which process this is: a
 * pid the kernel hands to a new QEMU gets another start time — and whether it is exiting: a
 * zombie or dead state (field 3), or no address space left (vsize, field 23, is 0 once exit_mm
 * released it). The comm in field 2 may hold spaces and parentheses, so fields are counted from
 * the last ')'.
 */
export function parseProcStat(text: string): { startTicks: number; exiting: boolean } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After ")": field 3 (state) is the first, field 22 the 20th, field 23 the 21st.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const startTicks = fields.length >= 21 ? counterValue(fields[19]!) : null;
  const vsize = fields.length >= 21 ? counterValue(fields[20]!) : null;
  if (startTicks === null || vsize === null) return null;
  return { startTicks, exiting: fields[0] === 'Z' || fields[0] === 'X' || vsize === 0 };
}

/** The fields spinwise needs from /proc/<pid>/task/<tid>/status (fs/proc/array.c). */
export function parseStatus(
  text: string,
): { affinity: number[]; voluntarySwitches: number; involuntarySwitches: number } | null {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const list = field('Cpus_allowed_list');
  const vol = counterValue(field('voluntary_ctxt_switches') ?? '');
  const invol = counterValue(field('nonvoluntary_ctxt_switches') ?? '');
  if (list === undefined || vol === null || invol === null) return null;
  const affinity = parseCpuList(list);
  if (!affinity) return null;
  return { affinity, voluntarySwitches: vol, involuntarySwitches: invol };
}

/** Linux's x86 NR_CPUS maximum: a CPU list naming a higher CPU is malformed, not a bigger machine. */
const MAX_CPUS = 8_192;

/** "0-3,8,10-11" → [0,1,2,3,8,10,11]; null if malformed. */
export function parseCpuList(text: string): number[] | null {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text.trim())) return null;
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    if ((b ?? a) >= MAX_CPUS || (b ?? a) < a) return null;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** QEMU's vCPU thread name (qemu_thread_create with debug-threads): "CPU <n>/KVM". */
export function vcpuIndexOfComm(comm: string): number | null {
  const m = /^CPU (\d+)\/KVM$/.exec(comm.trim());
  return m ? Number(m[1]) : null;
}

/** The Kubernetes pod UID in /proc/<pid>/cgroup (v2 systemd slices use "_" for "-"; v1 cgroupfs uses "pod<uid>"). */
export function podUidOfCgroup(text: string): string | null {
  const m = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/.exec(text);
  return m ? m[1]!.replace(/_/g, '-') : null;
}

/** /proc/schedstat (version 15+): the first field of each `cpu<N>` line is yld_count (sched_yield and yield_to). */
export function parseSchedstatYields(text: string): { yieldCount: number; cpus: number } | null {
  if (!/^version (\d+)$/m.test(text)) return null;
  let yieldCount = 0;
  let cpus = 0;
  for (const line of text.split('\n')) {
    const m = /^cpu\d+ (\d+)( \d+){8}\s*$/.exec(line);
    if (!m) continue;
    const count = counterValue(m[1]!);
    if (count === null) return null;
    yieldCount += count;
    cpus++;
  }
  return cpus > 0 && Number.isSafeInteger(yieldCount) ? { yieldCount, cpus } : null;
}

/** KubeVirt names the libvirt domain `<namespace>_<vmi>` inside a virt-launcher pod. */
export function kubevirtIdentityOfDomain(domain: string): { namespace: string; vmi: string } | null {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)_([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(domain);
  return m ? { namespace: m[1]!, vmi: m[3]! } : null;
}
