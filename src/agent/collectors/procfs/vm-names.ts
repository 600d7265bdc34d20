import { createHash } from 'node:crypto';

/** The wire schema's bound on a VM name (a DNS-1123 subdomain's length, what KubeVirt can produce). */
export const MAX_VM_NAME_CHARS = 253;

/**
 * A name the wire schema accepts, and what was changed: control characters (a name is a tag in
 * InfluxDB and a label in Prometheus) become "?", and a name past the bound keeps its first 240
 * characters and a hash of the whole, so two long names that share a prefix stay apart.
 */
export function wireSafeName(raw: string): { name: string; changed: string | null } {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  let name = raw.replace(/[\u0000-\u001f\u007f]/g, '?');
  let changed = name === raw ? null : 'control characters replaced';
  if (name.length > MAX_VM_NAME_CHARS) {
    const hash = createHash('sha256').update(raw).digest('hex').slice(0, 12);
    name = `${name.slice(0, MAX_VM_NAME_CHARS - 13)}~${hash}`;
    changed = `name of ${raw.length} characters shortened`;
  }
  return { name, changed };
}

/**
 * Two QEMU processes can carry the same `-name` (plain QEMU does not forbid it, and a guest being
 * restarted overlaps its successor). Samples key VMs by name, so every process but the longest
 * running keeps its name with "@<pid>" appended; the longest running keeps it plain, so its series
 * goes on. Returns the processes renamed.
 */
export function disambiguate<T extends { name: string; pid: number; startTicks?: number }>(vms: T[]): T[] {
  const byName = new Map<string, T[]>();
  for (const vm of vms) byName.set(vm.name, [...(byName.get(vm.name) ?? []), vm]);
  const renamed: T[] = [];
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    same.sort((a, b) => (a.startTicks ?? a.pid) - (b.startTicks ?? b.pid) || a.pid - b.pid);
    for (const vm of same.slice(1)) {
      const suffix = `@${vm.pid}`;
      vm.name = `${vm.name.slice(0, MAX_VM_NAME_CHARS - suffix.length)}${suffix}`;
      renamed.push(vm);
    }
  }
  return renamed;
}
