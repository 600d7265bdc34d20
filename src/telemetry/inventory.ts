import { z } from 'zod';
import { count, epochMs, LIMITS, name, nodeName, positiveInt } from './primitives';

/** PLE parameters as the kvm_intel / kvm_amd module reports them (KERNEL.md §1). */
export const pleParameters = z
  .object({
    vendor: z.enum(['vmx', 'svm']),
    /** ple_gap = 0 (VMX) or pause_filter_count = 0 (SVM) disables PLE. */
    enabled: z.boolean(),
    /** VMX: ple_gap cycles; SVM: pause_filter_thresh. */
    gap: count,
    /** VMX: ple_window cycles; SVM: pause_filter_count PAUSEs. */
    window: count,
    grow: count,
    shrink: count,
    max: count,
  })
  .strict();
export type PleParameters = z.infer<typeof pleParameters>;

/**
 * The base PLE window in time, what one PLE exit says was spun at least: VMX counts cycles, SVM
 * counts PAUSEs (about 40 cycles each); 2.5 GHz assumed. 0 without PLE parameters.
 */
export function basePleWindowNs(ple: PleParameters | null): number {
  return ple ? (ple.window * (ple.vendor === 'vmx' ? 1 : 40)) / 2.5 : 0;
}

export const inventoryVcpu = z
  .object({
    index: z.number().int().nonnegative(),
    tid: positiveInt,
    /** Host CPUs the thread may run on (Cpus_allowed_list). */
    affinity: z
      .array(
        z
          .number()
          .int()
          .nonnegative()
          .max(LIMITS.hostCpus - 1),
      )
      .max(LIMITS.hostCpus),
  })
  .strict();

export const inventoryVm = z
  .object({
    name,
    pid: positiveInt,
    /**
     * The QEMU process's start, in clock ticks after the node booted (/proc/<pid>/stat field 22;
     * USER_HZ, 100 on x86): with the pid it tells a restarted VM from one that kept running.
     */
    startTicks: count.optional(),
    vcpus: z.array(inventoryVcpu).max(LIMITS.vmVcpus),
    kubevirt: z
      .object({
        podUid: z.string().optional(),
        namespace: z.string().optional(),
        vmi: z.string().optional(),
      })
      .strict()
      .optional(),
    /** cpu.max of the nearest CPU-limited cgroup above QEMU (KubeVirt: the pod's CPU limit); absent: no limit. */
    cpuLimit: z.object({ quotaUs: positiveInt, periodUs: positiveInt }).strict().optional(),
    /**
     * The KVM paravirtual features the guest is offered, read from QEMU's `-cpu` (`host` offers
     * every one the host supports; another CPU model only those named); absent when unknown.
     */
    pv: z
      .object({ tlbFlush: z.boolean(), schedYield: z.boolean(), ipi: z.boolean(), spinlocks: z.boolean() })
      .strict()
      .optional(),
  })
  .strict();
export type InventoryVm = z.infer<typeof inventoryVm>;

export const nodeInventory = z
  .object({
    schema: z.literal('spinwise.inventory.v1'),
    node: nodeName,
    timestampMs: epochMs,
    kernel: z.string().min(1).max(200),
    /** The model the operator set for this node (agent --model); absent: the kernel's (spinwise models --kernel). */
    model: z.string().min(1).max(200).optional(),
    scheduler: z.enum(['cfs', 'eevdf']),
    cpuVendor: z.enum(['intel', 'amd', 'unknown']),
    pcpus: positiveInt.max(LIMITS.hostCpus),
    topology: z
      .object({
        sockets: positiveInt,
        coresPerSocket: positiveInt,
        threadsPerCore: positiveInt,
      })
      .strict(),
    /** Null when neither kvm_intel nor kvm_amd is loaded. */
    ple: pleParameters.nullable(),
    /** IPI virtualisation (IPIv/AVIC) hides IPIs from kvm_apic_ipi; null when unknown. */
    ipiVirtualized: z.boolean().nullable(),
    /** kvm.halt_poll_ns (ns): how long a halting vCPU may poll before it blocks; absent when unknown. */
    haltPollNs: z.number().int().nonnegative().optional(),
    vms: z.array(inventoryVm).max(LIMITS.nodeVms),
  })
  .strict();
export type NodeInventory = z.infer<typeof nodeInventory>;

/**
 * A VM's labels on Prometheus series, as KubeVirt's `kubevirt_vmi_*` have them, so the two join:
 * the VMI's namespace and name (a libvirt or plain QEMU VM: its own name, namespace empty) and the node.
 */
export function vmSeriesLabels(
  node: string,
  vmName: string,
  inventory: NodeInventory | undefined,
): { namespace: string; name: string; node: string } {
  const kubevirt = inventory?.vms.find((v) => v.name === vmName)?.kubevirt;
  return { namespace: kubevirt?.namespace ?? '', name: kubevirt?.vmi ?? vmName, node };
}
