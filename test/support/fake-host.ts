import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One QEMU process as /proc shows it, in the kernel's exact formats (captured from QEMU 7.2 on Linux 6.18). */
export interface FakeQemu {
  pid: number;
  /** The `-name guest=` value; none: QEMU without -name. */
  name?: string;
  startTicks?: number;
  vcpus: number;
  debugThreads?: boolean;
  /** `-qmp unix:PATH,server=on,wait=off` on its command line. */
  qmpSocket?: string;
  /** Cumulative run ns of vCPU `index` (default: 1 s per vCPU). */
  runNs?: (index: number) => number;
}

export const tidOf = (q: FakeQemu, index: number) => q.pid + 3 + index;

function put(root: string, rel: string, text: string): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** /proc/<pid>/stat as fs/proc/array.c prints it; field 22 is the start time in ticks. */
const statLine = (pid: number, comm: string, startTicks: number) =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 138412480 24317 0 10 0 59 59194 0 0 20 0 8 0 ${startTicks} 680398848 8102 18446744073709551615 0 0 0 0 0 0 268444224 3674112 16963 0 0 0 17 1 0 0 0 15 0 0 0 0 0 0 0 0 0\n`;

/** Writes (or rewrites) the processes' files under `root`. */
export function writeFakeQemu(root: string, q: FakeQemu): void {
  const dir = `proc/${q.pid}`;
  put(root, `${dir}/comm`, 'qemu-system-x86\n');
  put(root, `${dir}/stat`, statLine(q.pid, 'qemu-system-x86', q.startTicks ?? 1000 + q.pid));
  const args = ['qemu-system-x86_64', '-accel', 'kvm', '-smp', String(q.vcpus)];
  if (q.name !== undefined)
    args.push(
      '-name',
      `guest=${q.name.replace(/,/g, ',,')}${q.debugThreads === false ? '' : ',debug-threads=on'}`,
    );
  if (q.qmpSocket) args.push('-qmp', `unix:${q.qmpSocket},server=on,wait=off`);
  put(root, `${dir}/cmdline`, `${args.join('\0')}\0`);
  put(root, `${dir}/cgroup`, '0::/machine.slice/machine-qemu.scope/libvirt/emulator\n');
  put(root, `${dir}/task/${q.pid}/comm`, 'qemu-system-x86\n');
  for (let i = 0; i < q.vcpus; i++) {
    const tid = tidOf(q, i);
    put(root, `${dir}/task/${tid}/comm`, q.debugThreads === false ? 'qemu-system-x86\n' : `CPU ${i}/KVM\n`);
    put(root, `${dir}/task/${tid}/schedstat`, `${q.runNs ? q.runNs(i) : 1_000_000_000} 2256665 56\n`);
    put(
      root,
      `${dir}/task/${tid}/status`,
      `Name:\tCPU ${i}/KVM\nState:\tS (sleeping)\nTgid:\t${q.pid}\nPid:\t${tid}\nCpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t40\nnonvoluntary_ctxt_switches:\t16\n`,
    );
  }
}

/** A host root with a kernel release and CPUs, and these QEMU processes. */
export function writeFakeHost(root: string, qemus: FakeQemu[]): void {
  put(root, 'proc/sys/kernel/osrelease', '6.18.44\n');
  put(
    root,
    'proc/cpuinfo',
    [0, 1]
      .map((i) => `processor\t: ${i}\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: ${i}\n`)
      .join('\n'),
  );
  put(
    root,
    'proc/schedstat',
    'version 15\ntimestamp 4294\ncpu0 157 0 0 0 0 0 9 0 0\ncpu1 3 0 0 0 0 0 9 0 0\n',
  );
  for (const q of qemus) writeFakeQemu(root, q);
}
