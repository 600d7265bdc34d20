import type { IcrWrite } from '../kvm/directed-yield';
import type { Vcpu } from '../kvm/vcpu';

/** How the guest's APIC driver addresses an IPI: Linux's x2apic_cluster (its default) or x2apic_phys. */
export type DestMode = 'cluster' | 'physical';

/**
 * The ICR writes a Linux guest makes to send one round's IPIs to `receivers` (the vCPUs it
 * actually IPIs), out of `others` other vCPUs in the VM. A vCPU's APIC ID is taken to be its index
 * (QEMU numbers them so for one socket, or a power-of-two number of cores per socket).
 * - native_send_call_func_ipi() (832df3d47badc "x86/smp: Enhance native_send_call_func_ipi()",
 *   5.4): a mask of every other online CPU goes as one all-but-self shorthand write. A round to a
 *   single vCPU goes as a single IPI (smp_call_function_many_cond's one-CPU case of later kernels;
 *   a 5.4–5.9 guest with two vCPUs would use the shorthand there too — not modelled).
 * - x2apic_phys (__x2apic_send_IPI_mask): one physical-mode write per receiver, dest_id its APIC ID.
 * - x2apic_cluster (__x2apic_send_IPI_mask): one logical-mode write per cluster of 16 APIC IDs,
 *   dest_id = cluster << 16 | the bitmap of its receivers' positions in the cluster.
 */
export function icrWrites(receivers: readonly Vcpu[], others: number, mode: DestMode): IcrWrite[] {
  if (receivers.length >= 2 && receivers.length === others)
    return [{ receivers, destId: 0, shorthand: true }];
  if (mode === 'physical')
    return receivers.map((r) => ({ receivers: [r], destId: r.index, shorthand: false }));
  const clusters = new Map<number, Vcpu[]>();
  for (const r of receivers) {
    const cluster = r.index >> 4;
    const members = clusters.get(cluster);
    if (members) members.push(r);
    else clusters.set(cluster, [r]);
  }
  return [...clusters].map(([cluster, members]) => ({
    receivers: members,
    destId: cluster * 0x10000 + members.reduce((bits, r) => bits | (1 << (r.index & 15)), 0),
    shorthand: false,
  }));
}
