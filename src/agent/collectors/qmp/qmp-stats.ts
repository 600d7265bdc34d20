import { basename, join } from 'node:path';
import { z } from 'zod';
import type { HostRoot } from '../../host-root';
import type { MissingReport } from '../../missing-report';
import type { QemuProcess } from '../procfs/qemu-processes';
import { QmpError, QmpFailure, qmpSession, type QmpLimits } from './qmp-session';

/**
 * KVM's per-vCPU statistics the samples carry (the sample schema documents each), by their names
 * in the kernel's binary stats as `query-stats` reports them (QEMU ≥ 7.1).
 */
export const VCPU_STATS = {
  exits: 'exits',
  haltExits: 'halt_exits',
  haltWakeup: 'halt_wakeup',
  haltWaitNs: 'halt_wait_ns',
  haltPollSuccessNs: 'halt_poll_success_ns',
  haltPollFailNs: 'halt_poll_fail_ns',
  directedYieldAttempted: 'directed_yield_attempted',
  directedYieldSuccessful: 'directed_yield_successful',
  preemptionReported: 'preemption_reported',
  preemptionOther: 'preemption_other',
} as const;

export type VcpuKvmStats = Partial<Record<keyof typeof VCPU_STATS, number>>;

/** One vCPU as its QEMU reports it: index, host thread, cumulative KVM statistics. */
export interface QmpVcpu {
  index: number;
  tid: number;
  stats: VcpuKvmStats;
}

export interface QmpOptions extends QmpLimits {
  /** `<dir>/<domain>.sock`, for monitors the command line does not name (a chart-mounted directory). */
  socketDir?: string;
  /** Sessions open at once: enough that hung monitors do not add up, few enough to spare descriptors. */
  concurrency: number;
}

export const DEFAULT_QMP: QmpOptions = { timeoutMs: 1_000, maxAnswerBytes: 4 << 20, concurrency: 32 };

const cpusAnswer = z.array(
  z.object({
    'cpu-index': z.number().int().nonnegative(),
    'thread-id': z.number().int().positive(),
    'qom-path': z.string(),
  }),
);
const statsAnswer = z.array(
  z.object({ 'qom-path': z.string(), stats: z.array(z.object({ name: z.string(), value: z.unknown() })) }),
);

const STAT_KEYS = Object.entries(VCPU_STATS) as [keyof typeof VCPU_STATS, string][];

/** The commands of one session: vCPU threads, then only the statistics the samples carry. */
const COMMANDS = [
  { execute: 'query-cpus-fast' },
  {
    execute: 'query-stats',
    arguments: { target: 'vcpu', providers: [{ provider: 'kvm', names: Object.values(VCPU_STATS) }] },
  },
];

/**
 * Where a VM's monitor is: the socket its command line names, reached through
 * /proc/<pid>/root — the QEMU's own view of the file system, so a QEMU in a container or with a
 * private /tmp is reached from a pod that mounts only the host's /proc — else
 * `<socketDir>/<name>.sock`; the reason when there is none the agent may use. A name is only a
 * file name if it stays one: "../x" or "a/b" never reaches a socket outside the directory.
 */
export function monitorSocket(
  root: HostRoot,
  vm: QemuProcess,
  socketDir: string | undefined,
): { path: string } | { reason: string } {
  if (vm.monitor?.path && !vm.monitor.heldByLibvirt)
    return { path: root.path('proc', String(vm.pid), 'root', vm.monitor.path) };
  if (socketDir) {
    const file = `${vm.name}.sock`;
    if (basename(file) !== file || vm.name === '.' || vm.name === '..' || vm.name.includes('\0'))
      return { reason: 'name unusable as a socket file name' };
    return { path: join(socketDir, file) };
  }
  return { reason: 'no QMP monitor on the command line (-qmp unix:PATH) and no --qmp-socket-dir' };
}

/**
 * The vCPUs and statistics one monitor reports; a malformed answer is a failure, a bad value is
 * left out, and a QEMU without `query-stats` (before 7.1) still names its vCPU threads.
 */
async function queryVm(
  path: string,
  options: QmpOptions,
): Promise<{ vcpus: QmpVcpu[]; badValues: number; statsRefused: string | null }> {
  const [cpus, stats] = await qmpSession(path, COMMANDS, options);
  if (cpus instanceof QmpError) throw new QmpFailure(`query-cpus-fast refused: ${cpus.desc}`);
  const parsedCpus = cpusAnswer.safeParse(cpus);
  if (!parsedCpus.success) throw new QmpFailure('malformed query-cpus-fast answer');
  const statsRefused = stats instanceof QmpError ? stats.desc : null;
  const parsedStats = statsAnswer.safeParse(statsRefused ? [] : stats);
  if (!parsedStats.success) throw new QmpFailure('malformed query-stats answer');
  const byPath = new Map(parsedStats.data.map((e) => [e['qom-path'], e.stats]));
  let badValues = 0;
  const vcpus = parsedCpus.data.map((cpu) => {
    const out: QmpVcpu = { index: cpu['cpu-index'], tid: cpu['thread-id'], stats: {} };
    const given = new Map((byPath.get(cpu['qom-path']) ?? []).map((s) => [s.name, s.value]));
    for (const [key, name] of STAT_KEYS) {
      const value = given.get(name);
      if (value === undefined) continue;
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) out.stats[key] = value;
      else badValues++;
    }
    return out;
  });
  return { vcpus, badValues, statsRefused };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Every VM's vCPUs and KVM statistics through its QMP monitor, sessions in parallel, each bounded
 * in time and size. A VM whose monitor cannot be used is reported under `qmpStats` and costs
 * only its own statistics. Keyed by the VM's process identity. VMs whose monitor libvirt holds
 * are left to the libvirt path: QEMU would accept a second client and never greet it.
 */
export async function collectQmpStats(
  root: HostRoot,
  vms: QemuProcess[],
  options: QmpOptions,
  report: MissingReport,
): Promise<{ byVm: Map<string, QmpVcpu[]>; errors: number }> {
  const byVm = new Map<string, QmpVcpu[]>();
  let errors = 0;
  await eachLimited(
    vms.filter((vm) => !vm.monitor?.heldByLibvirt),
    options.concurrency,
    async (vm) => {
      const socket = monitorSocket(root, vm, options.socketDir);
      if ('reason' in socket) {
        report.add('qmpStats', socket.reason, vm.name);
        return;
      }
      try {
        const { vcpus, badValues, statsRefused } = await queryVm(socket.path, options);
        byVm.set(vm.key, vcpus);
        if (statsRefused) report.add('qmpStats', `query-stats refused (QEMU before 7.1?)`, vm.name);
        if (badValues > 0) {
          errors++;
          report.add('qmpStats', 'statistics that are not counters left out', vm.name);
        }
      } catch (err) {
        errors++;
        const reason = err instanceof QmpFailure ? err.message : ((err as Error).message ?? String(err));
        report.add('qmpStats', reason, vm.name);
      }
    },
  );
  return { byVm, errors };
}
