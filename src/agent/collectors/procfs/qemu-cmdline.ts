/** What the agent reads from a QEMU process's command line (/proc/<pid>/cmdline, NUL-separated). */
export interface QemuCmdline {
  /** `-name guest=<name>` or `-name <name>` (libvirt: the domain name; KubeVirt: `<namespace>_<vmi>`). */
  name: string | null;
  /** `-name …,debug-threads=on`: vCPU threads are named `CPU <n>/KVM`; without it they are all "qemu-system-x86". */
  debugThreads: boolean;
  /** The QMP monitor, when the command line gives one. */
  monitor: QmpMonitor | null;
  /** The paravirtual features `-cpu` offers the guest. */
  pv: PvFeatures;
}

/** The KVM paravirtual features (KVM_FEATURE_*) that change how a guest spins, as QEMU offers them. */
export interface PvFeatures {
  /** kvm-pv-tlb-flush (KVM_FEATURE_PV_TLB_FLUSH). */
  tlbFlush: boolean;
  /** kvm-pv-sched-yield (KVM_FEATURE_PV_SCHED_YIELD). */
  schedYield: boolean;
  /** kvm-pv-ipi (KVM_FEATURE_PV_SEND_IPI). */
  ipi: boolean;
  /** kvm-pv-unhalt (KVM_FEATURE_PV_UNHALT): PV spinlocks. */
  spinlocks: boolean;
}

const PV_PROPERTIES: Record<keyof PvFeatures, string> = {
  tlbFlush: 'kvm-pv-tlb-flush',
  schedYield: 'kvm-pv-sched-yield',
  ipi: 'kvm-pv-ipi',
  spinlocks: 'kvm-pv-unhalt',
};

export interface QmpMonitor {
  /** The UNIX socket as the host names it; null when QEMU was handed an open descriptor (libvirt's `fd=`). */
  path: string | null;
  /**
   * libvirt (and so KubeVirt's virt-launcher) holds this monitor: QEMU serves one client per
   * monitor, and a second one is accepted by the socket but never greeted.
   */
  heldByLibvirt: boolean;
}

/**
 * QEMU's `key=value,…` option syntax (util/qemu-option.c): a doubled comma is a literal comma, and
 * the first element may be a bare value that stands for `implied` (`-name vm1` = `-name guest=vm1`).
 */
export function qemuOptions(value: string, implied: string): Map<string, string> {
  const out = new Map<string, string>();
  qemuParts(value).forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0 && i === 0) out.set(implied, part);
    else if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  });
  return out;
}

/** The comma-separated parts of an option value, a doubled comma being a literal one. */
function qemuParts(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === ',' && value[i + 1] === ',') {
      current += ',';
      i++;
    } else if (value[i] === ',') {
      parts.push(current);
      current = '';
    } else current += value[i];
  }
  parts.push(current);
  return parts;
}

/**
 * The PV features of `-cpu MODEL[,prop=on|off][,+feat][,-feat]…` (the last `-cpu` wins; x86_64's
 * default model is qemu64). QEMU's docs/system/i386/kvm-pv.rst: any model gets kvmclock,
 * kvm-nopiodelay, kvm-asyncpf, kvm-steal-time, kvm-pv-eoi and kvmclock-stable-bit by default, and
 * `host` passes through every PV feature the host kernel supports (`max` is `host` under KVM);
 * the others are offered only when named. `kvm=off` hides KVM, and with it every PV feature.
 * libvirt's host-passthrough is `-cpu host`; its host-model expands to a named model.
 */
function pvOf(args: string[]): PvFeatures {
  const cpu = valuesOf(args, '-cpu');
  const [model, ...props] = qemuParts(cpu[cpu.length - 1] ?? 'qemu64');
  const all = model === 'host' || model === 'max';
  const set = (property: string): boolean => {
    let on = all;
    for (const p of props) {
      if (p === `+${property}`) on = true;
      else if (p === `-${property}`) on = false;
      else if (p.startsWith(`${property}=`)) on = /^(on|true|yes)$/.test(p.slice(property.length + 1));
    }
    return on;
  };
  const hidden = props.includes('kvm=off');
  const pv = {} as PvFeatures;
  for (const [key, property] of Object.entries(PV_PROPERTIES) as [keyof PvFeatures, string][])
    pv[key] = !hidden && set(property);
  return pv;
}

/** Every value given to option `flag` (`-qmp a -qmp b` → [a, b]). */
const valuesOf = (args: string[], flag: string) =>
  args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]!] : []));

/** libvirt's monitor chardev id and its state directories (qemuBuildMonitorCommandLine). */
const LIBVIRT_MONITOR = /^charmonitor$|\/libvirt\/|\/kubevirt-private\//;

function monitorOf(args: string[]): QmpMonitor | null {
  // -qmp unix:PATH[,server=on,wait=off] (vl.c: a control-mode monitor on a chardev spec).
  for (const spec of [...valuesOf(args, '-qmp'), ...valuesOf(args, '-qmp-pretty')]) {
    const backend = qemuOptions(spec, 'backend').get('backend') ?? '';
    if (backend.startsWith('unix:')) {
      const path = backend.slice('unix:'.length);
      return { path, heldByLibvirt: LIBVIRT_MONITOR.test(path) };
    }
  }
  // -chardev socket,id=ID,path=PATH|fd=N … -mon chardev=ID,mode=control (libvirt's form).
  for (const mon of valuesOf(args, '-mon')) {
    const opts = qemuOptions(mon, 'chardev');
    if (opts.get('mode') !== 'control') continue;
    const id = opts.get('chardev');
    const chardev = valuesOf(args, '-chardev')
      .map((c) => qemuOptions(c, 'backend'))
      .find((c) => c.get('id') === id && c.get('backend') === 'socket');
    if (!chardev || !id) continue;
    const path = chardev.get('path') ?? null;
    return { path, heldByLibvirt: LIBVIRT_MONITOR.test(id) || LIBVIRT_MONITOR.test(path ?? '') };
  }
  return null;
}

export function parseQemuCmdline(cmdline: string): QemuCmdline {
  const args = cmdline.split('\0');
  const name = valuesOf(args, '-name').map((v) => qemuOptions(v, 'guest'));
  const last = name[name.length - 1];
  return {
    name: last?.get('guest') || null,
    debugThreads: last?.get('debug-threads') === 'on',
    monitor: monitorOf(args),
    pv: pvOf(args),
  };
}
