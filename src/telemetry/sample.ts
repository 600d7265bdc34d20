import { z } from 'zod';
import { count, epochMs, LIMITS, name, nodeName, positiveInt } from './primitives';

/**
 * Signals a node may be unable to give. A sample lists each missing one with the reason,
 * so the advisor can say what that costs in confidence instead of reading a silent zero.
 */
export const signalName = z.enum([
  'schedstat', // /proc/<pid>/task/<tid>/schedstat: run ns, wait ns, timeslices
  'contextSwitches', // /proc/<pid>/task/<tid>/status
  'pleExits', // tracefs kvm:kvm_exit hist on the PAUSE reason
  'pleWindow', // tracefs kvm:kvm_ple_window_update
  'ipis', // tracefs kvm:kvm_apic_ipi
  'kvmStats', // debugfs / binary stats: halt exits, PV directed yield
  'qmpStats', // QEMU query-stats per vCPU
  'hostYields', // /proc/schedstat yld_count
  'kubevirt', // virt-launcher pod → VMI mapping
]);
export type SignalName = z.infer<typeof signalName>;

export const missingSignal = z
  .object({
    signal: signalName,
    reason: z.string().min(1).max(500),
  })
  .strict();

export const ipiCount = z.object({ toVcpu: z.number().int().nonnegative(), count }).strict();

/** Counter deltas of one vCPU thread over the sample's interval; a counter the node cannot give is absent. */
export const vcpuDelta = z
  .object({
    vm: name,
    vcpu: z.number().int().nonnegative(),
    tid: positiveInt,
    runNs: count.optional(),
    waitNs: count.optional(),
    timeslices: count.optional(),
    involuntarySwitches: count.optional(),
    voluntarySwitches: count.optional(),
    pleExits: count.optional(),
    pleWindowGrows: count.optional(),
    haltExits: count.optional(),
    directedYieldAttempted: count.optional(),
    directedYieldSuccessful: count.optional(),
    ipisSent: z.array(ipiCount).max(LIMITS.vmVcpus).optional(),
  })
  .strict();
export type VcpuDelta = z.infer<typeof vcpuDelta>;

/** KVM's per-VM statistics (debugfs sums over the VM's vCPUs), as deltas over the interval. */
export const vmDelta = z
  .object({
    vm: name,
    pid: positiveInt,
    exits: count.optional(),
    haltExits: count.optional(),
    haltWakeup: count.optional(),
    /** PV directed yields only (KVM_HC_SCHED_YIELD / KICK_CPU); PLE's yields are never counted here. */
    directedYieldAttempted: count.optional(),
    directedYieldSuccessful: count.optional(),
    /**
     * cpu.stat of the nearest cgroup above QEMU with a CPU limit (cgroup v2 cpu.max; KubeVirt: the
     * virt-launcher pod's): nr_periods, nr_throttled, throttled_usec. Absent without a limit.
     */
    cpuPeriods: count.optional(),
    cpuThrottledPeriods: count.optional(),
    cpuThrottledUs: count.optional(),
  })
  .strict();
export type VmDelta = z.infer<typeof vmDelta>;

export const nodeSample = z
  .object({
    schema: z.literal('spinwise.sample.v1'),
    node: nodeName,
    /** Monotonic per node; the advisor recognises duplicates and gaps by (node, seq). */
    seq: count,
    timestampMs: epochMs,
    intervalMs: positiveInt,
    /** Counters were reset (QEMU restart, agent restart): this sample's deltas start a new series. */
    seriesRestarted: z.boolean(),
    vcpus: z.array(vcpuDelta).max(LIMITS.nodeVcpus),
    vms: z.array(vmDelta).max(LIMITS.nodeVms),
    host: z
      .object({
        yieldCount: count.optional(),
        busyNs: count.optional(),
      })
      .strict(),
    /** The agent's own health: what waits in its disk spool, and samples it had to drop (cumulative). */
    agent: z.object({ spoolBytes: count, droppedSamples: count }).strict(),
    missing: z.array(missingSignal).max(LIMITS.missingSignals),
  })
  .strict();
export type NodeSample = z.infer<typeof nodeSample>;
