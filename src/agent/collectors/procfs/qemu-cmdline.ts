/** What the agent reads from a QEMU process's command line (/proc/<pid>/cmdline, NUL-separated). */
export interface QemuCmdline {
  /** `-name guest=<name>` or `-name <name>` (libvirt: the domain name; KubeVirt: `<namespace>_<vmi>`). */
  name: string | null;
  /** `-name …,debug-threads=on`: vCPU threads are named `CPU <n>/KVM`; without it they are all "qemu-system-x86". */
  debugThreads: boolean;
  /** The QMP monitor, when the command line gives one. */
  monitor: QmpMonitor | null;
}

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
  parts.forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0 && i === 0) out.set(implied, part);
    else if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  });
  return out;
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
  };
}
