import type { IcrWrite } from '../kvm/directed-yield';
import type { Vcpu } from '../kvm/vcpu';

/** How the guest's APIC driver addresses an IPI: Linux's x2apic_cluster (its default) or x2apic_phys. */
export type DestMode = 'cluster' | 'physical';

/** The write handed to `visit`: valid during the call only (one object, refilled per write). */
const write: { receivers: readonly Vcpu[]; destId: number; shorthand: boolean } = {
  receivers: [],
  destId: 0,
  shorthand: false,
};
const one: Vcpu[] = [];

/**
 * The ICR writes a Linux guest makes to send one round's IPIs to `receivers` (the vCPUs it
 * actually IPIs), out of `others` other vCPUs in the VM, each handed to `visit`. A vCPU's APIC ID
 * is taken to be its index (QEMU numbers them so for one socket, or a power-of-two number of
 * cores per socket).
 * - native_send_call_func_ipi() (832df3d47badc "x86/smp: Enhance native_send_call_func_ipi()",
 *   5.4): a mask of every other online CPU goes as one all-but-self shorthand write. A round to a
 *   single vCPU goes as a single IPI (smp_call_function_many_cond's one-CPU case of later kernels;
 *   a 5.4–5.9 guest with two vCPUs would use the shorthand there too — not modelled).
 * - x2apic_phys (__x2apic_send_IPI_mask): one physical-mode write per receiver, dest_id its APIC ID.
 * - x2apic_cluster (__x2apic_send_IPI_mask): one logical-mode write per cluster of 16 APIC IDs,
 *   dest_id = cluster << 16 | the bitmap of its receivers' positions in the cluster.
 */
export function forEachIcrWrite(
  receivers: readonly Vcpu[],
  others: number,
  mode: DestMode,
  visit: (write: IcrWrite) => void,
): void {
  write.shorthand = receivers.length >= 2 && receivers.length === others;
  if (write.shorthand) {
    write.receivers = receivers;
    write.destId = 0;
    visit(write);
    return;
  }
  if (mode === 'physical') {
    for (const r of receivers) {
      one[0] = r;
      write.receivers = one;
      write.destId = r.index;
      visit(write);
    }
    return;
  }
  // Clusters in the order of their first receiver; a VM of up to 16 vCPUs has one.
  for (let i = 0; i < receivers.length; i++) {
    const cluster = receivers[i]!.index >> 4;
    if (clusterSeen(receivers, i, cluster)) continue;
    const members = receivers.every((r) => r.index >> 4 === cluster)
      ? receivers
      : receivers.filter((r) => r.index >> 4 === cluster);
    write.receivers = members;
    write.destId = cluster * 0x10000 + members.reduce((bits, r) => bits | (1 << (r.index & 15)), 0);
    visit(write);
  }
}

/** Whether a receiver before the i-th is in `cluster` (its write went out already). */
function clusterSeen(receivers: readonly Vcpu[], i: number, cluster: number): boolean {
  for (let j = 0; j < i; j++) if (receivers[j]!.index >> 4 === cluster) return true;
  return false;
}
