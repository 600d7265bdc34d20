/** Parsers for /proc files in the exact formats the kernel prints. Each returns null on a malformed input. */

/** /proc/<pid>/task/<tid>/schedstat: "<run ns> <run-queue wait ns> <timeslices>\n" (kernel/sched/stats.c). */
export function parseSchedstat(text: string): { runNs: number; waitNs: number; timeslices: number } | null {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(text);
  if (!m) return null;
  return { runNs: Number(m[1]), waitNs: Number(m[2]), timeslices: Number(m[3]) };
}

/** The fields spinwise needs from /proc/<pid>/task/<tid>/status (fs/proc/array.c). */
export function parseStatus(
  text: string,
): { affinity: number[]; voluntarySwitches: number; involuntarySwitches: number } | null {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const list = field('Cpus_allowed_list');
  const vol = field('voluntary_ctxt_switches');
  const invol = field('nonvoluntary_ctxt_switches');
  if (list === undefined || !/^\d+$/.test(vol ?? '') || !/^\d+$/.test(invol ?? '')) return null;
  const affinity = parseCpuList(list);
  if (!affinity) return null;
  return { affinity, voluntarySwitches: Number(vol), involuntarySwitches: Number(invol) };
}

/** "0-3,8,10-11" → [0,1,2,3,8,10,11]; null if malformed. */
export function parseCpuList(text: string): number[] | null {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text.trim())) return null;
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** QEMU's vCPU thread name (qemu_thread_create with debug-threads): "CPU <n>/KVM". */
export function vcpuIndexOfComm(comm: string): number | null {
  const m = /^CPU (\d+)\/KVM$/.exec(comm.trim());
  return m ? Number(m[1]) : null;
}

/** The libvirt domain name from QEMU's NUL-separated command line: `-name guest=<name>,…` or `-name <name>`. */
export function domainNameOfCmdline(cmdline: string): string | null {
  const args = cmdline.split('\0');
  const at = args.indexOf('-name');
  const value = at >= 0 ? args[at + 1] : undefined;
  if (!value) return null;
  const guest = /(?:^|,)guest=([^,]+)/.exec(value);
  return guest ? guest[1]! : value.split(',')[0]!;
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
    yieldCount += Number(m[1]);
    cpus++;
  }
  return cpus > 0 ? { yieldCount, cpus } : null;
}

/** KubeVirt names the libvirt domain `<namespace>_<vmi>` inside a virt-launcher pod. */
export function kubevirtIdentityOfDomain(domain: string): { namespace: string; vmi: string } | null {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)_([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(domain);
  return m ? { namespace: m[1]!, vmi: m[3]! } : null;
}
