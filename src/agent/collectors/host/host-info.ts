import { errorCode, type HostRoot, type Missing } from '../../host-root';
import { parseCpuList, parseSchedstatYields } from '../procfs/proc-formats';

export interface PleParams {
  vendor: 'vmx' | 'svm';
  enabled: boolean;
  gap: number;
  window: number;
  grow: number;
  shrink: number;
  max: number;
}

export interface HostInfo {
  kernel: string;
  scheduler: 'cfs' | 'eevdf';
  cpuVendor: 'intel' | 'amd' | 'unknown';
  pcpus: number;
  topology: { sockets: number; coresPerSocket: number; threadsPerCore: number };
  ple: PleParams | null;
  /** IPIv/APICv (Intel) or AVIC (AMD): IPIs bypass kvm_apic_ipi, so IPI-based boosting cannot see them. */
  ipiVirtualized: boolean | null;
  /** kvm's halt_poll_ns module parameter (the host-wide ceiling of each vCPU's poll); null when unreadable. */
  haltPollNs: number | null;
  yieldCount?: number;
  errors: number;
  missing: Missing[];
}

const bool = (v: string | null) => (v === null ? null : /^(Y|1)$/.test(v.trim()));
const num = (v: string | null) => (v !== null && /^\d+$/.test(v.trim()) ? Number(v.trim()) : null);

/** EEVDF replaced CFS in Linux 6.6. */
export function schedulerOf(kernel: string): 'cfs' | 'eevdf' {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return 'cfs';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 6 || (major === 6 && minor >= 6) ? 'eevdf' : 'cfs';
}

/**
 * Kernel release, CPU vendor and topology, KVM's PLE parameters, IPI virtualisation and host
 * yields. A file it may not read leaves its fields at what it cannot know (kernel "unknown", no
 * PLE parameters) and says so under `hostInfo`, or `hostYields` for /proc/schedstat.
 */
export async function collectHostInfo(root: HostRoot): Promise<HostInfo> {
  const denied: string[] = [];
  let errors = 0;
  const read = async (...parts: string[]): Promise<string | null> => {
    try {
      return await root.read(...parts);
    } catch (err) {
      errors++;
      denied.push(`${errorCode(err)} on ${root.hostPath(...parts)}`);
      return null;
    }
  };
  const kernel = (await read('proc', 'sys', 'kernel', 'osrelease'))?.trim() || 'unknown';
  const cpuinfo = (await read('proc', 'cpuinfo')) ?? '';
  const processors = cpuinfo.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const field = (block: string, name: string) =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim();
  const vendorId = processors[0] ? field(processors[0], 'vendor_id') : undefined;
  const cpuVendor = vendorId === 'GenuineIntel' ? 'intel' : vendorId === 'AuthenticAMD' ? 'amd' : 'unknown';
  const sockets = new Set(processors.map((b) => field(b, 'physical id') ?? '0')).size || 1;
  const cores =
    new Set(
      processors.map(
        (b) => `${field(b, 'physical id') ?? '0'}/${field(b, 'core id') ?? field(b, 'processor')}`,
      ),
    ).size || 1;
  // Without cpuinfo (a denial), the online CPU list still counts them.
  const online = processors.length
    ? null
    : parseCpuList((await read('sys', 'devices', 'system', 'cpu', 'online')) ?? '');
  const pcpus = Math.max(processors.length || (online?.length ?? 0), 1);
  const info: HostInfo = {
    kernel,
    scheduler: schedulerOf(kernel),
    cpuVendor,
    pcpus,
    topology: {
      sockets,
      coresPerSocket: Math.max(1, Math.round(cores / sockets)),
      threadsPerCore: Math.max(1, Math.round(pcpus / cores)),
    },
    ple: null,
    ipiVirtualized: null,
    haltPollNs: null,
    errors: 0,
    missing: [],
  };
  info.haltPollNs = num(await read('sys', 'module', 'kvm', 'parameters', 'halt_poll_ns'));
  const intel = (name: string) => read('sys', 'module', 'kvm_intel', 'parameters', name);
  const amd = (name: string) => read('sys', 'module', 'kvm_amd', 'parameters', name);
  const gap = num(await intel('ple_gap'));
  if (gap !== null) {
    info.ple = {
      vendor: 'vmx',
      enabled: gap !== 0,
      gap,
      window: num(await intel('ple_window')) ?? 4096,
      grow: num(await intel('ple_window_grow')) ?? 2,
      shrink: num(await intel('ple_window_shrink')) ?? 0,
      max: num(await intel('ple_window_max')) ?? 0xffffffff,
    };
    const ipiv = bool(await intel('enable_ipiv'));
    const apicv = bool(await intel('enable_apicv'));
    info.ipiVirtualized = ipiv === null ? (apicv === null ? null : false) : ipiv && apicv !== false;
  } else {
    const count = num(await amd('pause_filter_count'));
    if (count !== null) {
      info.ple = {
        vendor: 'svm',
        enabled: count !== 0,
        gap: num(await amd('pause_filter_thresh')) ?? 128,
        window: count,
        grow: num(await amd('pause_filter_count_grow')) ?? 2,
        shrink: num(await amd('pause_filter_count_shrink')) ?? 0,
        max: num(await amd('pause_filter_count_max')) ?? 65535,
      };
      info.ipiVirtualized = bool(await amd('avic'));
    }
  }
  const deniedBefore = denied.length;
  const schedstat = await read('proc', 'schedstat');
  const yields = schedstat === null ? null : parseSchedstatYields(schedstat);
  if (yields) info.yieldCount = yields.yieldCount;
  else {
    if (schedstat !== null) errors++;
    info.missing.push({
      signal: 'hostYields',
      reason:
        denied.length > deniedBefore
          ? denied.pop()!
          : schedstat === null
            ? '/proc/schedstat absent (CONFIG_SCHEDSTATS off)'
            : '/proc/schedstat in an unknown format',
    });
  }
  if (denied.length)
    info.missing.push({
      signal: 'hostInfo',
      reason: `${denied.slice(0, 2).join('; ')}${denied.length > 2 ? ` and ${denied.length - 2} more` : ''}`,
    });
  info.errors = errors;
  return info;
}
