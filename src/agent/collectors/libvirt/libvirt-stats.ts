import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { errorCode, type HostRoot } from '../../host-root';
import type { MissingReport } from '../../missing-report';
import type { QemuProcess } from '../procfs/qemu-processes';
import { VCPU_STATS, type QmpVcpu } from '../qmp/qmp-stats';

export interface LibvirtOptions {
  /** The virsh to run (libvirt-clients); null: the libvirt path is off. */
  virsh: string | null;
  /** One virsh run may take this long. */
  timeoutMs: number;
  /** The most virsh may print (a host's domstats of every domain). */
  maxOutputBytes: number;
}

/**
 * libvirt's sockets, as the QEMU process sees its file system (/proc/<pid>/root): the read-only
 * socket is enough for domain statistics. A host's libvirtd (or virtqemud) serves every domain;
 * KubeVirt runs one per virt-launcher pod, in the pod's mount namespace, which is the QEMU's.
 */
const SOCKETS = [
  'var/run/libvirt/libvirt-sock-ro',
  'var/run/libvirt/virtqemud-sock-ro',
  'var/run/libvirt/libvirt-sock',
  'var/run/libvirt/virtqemud-sock',
];

/** virsh on PATH (the agent image installs libvirt-clients), or null. */
export function virshOnPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, 'virsh'))) return join(dir, 'virsh');
  return null;
}

export const DEFAULT_LIBVIRT: Omit<LibvirtOptions, 'virsh'> = { timeoutMs: 5_000, maxOutputBytes: 16 << 20 };

const STAT_OF = new Map<string, keyof typeof VCPU_STATS>(
  Object.entries(VCPU_STATS).map(([key, name]) => [name, key as keyof typeof VCPU_STATS]),
);

/**
 * `virsh domstats --vcpu --raw` output (virConnectGetAllDomainStats, VIR_DOMAIN_STATS_VCPU): per
 * domain, `vcpu.<n>.<kvm stat>.sum=<value>` for KVM's cumulative statistics, which libvirt (8.7
 * and later) reads from QEMU's query-stats, as the agent's QMP path does.
 */
export function parseDomstats(text: string): Map<string, Map<number, QmpVcpu['stats']>> {
  const domains = new Map<string, Map<number, QmpVcpu['stats']>>();
  let current: Map<number, QmpVcpu['stats']> | null = null;
  for (const line of text.split('\n')) {
    const domain = /^Domain: '(.*)'$/.exec(line);
    if (domain) {
      domains.set(domain[1]!, (current = new Map<number, QmpVcpu['stats']>()));
      continue;
    }
    const m = /^\s+vcpu\.(\d+)\.([a-z_]+)\.sum=(\d{1,16})$/.exec(line);
    const key = m ? STAT_OF.get(m[2]!) : undefined;
    if (!current || !m || !key) continue;
    const value = Number(m[3]);
    if (!Number.isSafeInteger(value)) continue;
    const index = Number(m[1]);
    current.set(index, { ...current.get(index), [key]: value });
  }
  return domains;
}

/** Every running domain's vCPU statistics (naming domains would fail the whole call for one unknown). */
function virsh(options: LibvirtOptions, socket: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      options.virsh!,
      [
        '--quiet',
        '--connect',
        `qemu:///system?socket=${socket}`,
        'domstats',
        '--vcpu',
        '--raw',
        '--list-active',
      ],
      { timeout: options.timeoutMs, maxBuffer: options.maxOutputBytes, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const said = stderr
          .split('\n')
          .find((l) => l.startsWith('error:'))
          ?.slice(7, 100);
        reject(
          new Error(
            err.killed ? `virsh: no answer within ${options.timeoutMs} ms` : (said ?? errorCode(err)),
          ),
        );
      },
    ),
  );
}

/**
 * Per-vCPU KVM statistics of the VMs whose monitor libvirt holds (libvirt hosts, KubeVirt),
 * asked of the libvirt that runs them: one `virsh domstats` per libvirt socket, bounded in time
 * and output. A vCPU's thread is the one procfs found with its index (libvirt always starts
 * QEMU with debug-threads=on). A VM no libvirt answers for is reported under `qmpStats`.
 */
export async function collectLibvirtStats(
  root: HostRoot,
  vms: QemuProcess[],
  options: LibvirtOptions,
  report: MissingReport,
): Promise<{ byVm: Map<string, QmpVcpu[]>; errors: number }> {
  const byVm = new Map<string, QmpVcpu[]>();
  let errors = 0;
  const bySocket = new Map<string, QemuProcess[]>();
  for (const vm of vms) {
    if (!options.virsh) {
      report.add(
        'qmpStats',
        'monitor held by libvirt and no virsh to ask libvirt (libvirt-clients)',
        vm.name,
      );
      continue;
    }
    const socket = SOCKETS.map((s) => root.path('proc', String(vm.pid), 'root', s)).find((s) =>
      existsSync(s),
    );
    if (!socket)
      report.add('qmpStats', 'monitor held by libvirt, and no libvirt socket in its file system', vm.name);
    else bySocket.set(socket, [...(bySocket.get(socket) ?? []), vm]);
  }
  await Promise.all(
    [...bySocket].map(async ([socket, held]) => {
      let domains: Map<string, Map<number, QmpVcpu['stats']>>;
      try {
        domains = parseDomstats(await virsh(options, socket));
      } catch (err) {
        errors++;
        for (const vm of held) report.add('qmpStats', `libvirt: ${(err as Error).message}`, vm.name);
        return;
      }
      for (const vm of held) {
        const stats = domains.get(vm.name);
        if (!stats) report.add('qmpStats', 'libvirt returned no statistics for the domain', vm.name);
        else
          byVm.set(
            vm.key,
            vm.vcpus.map((v) => ({ index: v.index, tid: v.tid, stats: stats.get(v.index) ?? {} })),
          );
      }
    }),
  );
  return { byVm, errors };
}
