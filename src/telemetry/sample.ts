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
  'vmIdentity', // which process a VM is and what it is called: stat, cmdline, names the schema had to change
  'cpuLimit', // cgroup cpu.max / cpu.stat of a CPU-limited VM
  'hostInfo', // kernel release, CPUs, KVM module parameters (the inventory's host fields)
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
    /**
     * KVM's per-vCPU statistics as QEMU's `query-stats` (QMP, target vcpu, provider kvm) reports
     * them (include/linux/kvm_host.h struct kvm_vcpu_stat_generic, arch/x86 struct kvm_vcpu_stat):
     * all VM exits; HLT exits; halts woken; ns halted without polling and ns polled in halts that
     * ended in a wake-up or not (kvm_vcpu_halt, halt_poll_ns); paravirtual directed yields this
     * vCPU asked for and those that switched (kvm_sched_yield, from KVM_HC_SCHED_YIELD and
     * KVM_HC_KICK_CPU, 5.10 stats; PLE's kvm_vcpu_on_spin never counts here); and
     * host preemptions of the vCPU, marked preempted for the guest (steal time's `preempted`, the
     * guest's vcpu_is_preempted) or not because the exit was not on an instruction boundary
     * (kvm_steal_time_set_preempted, 6cd88243c7e0, 5.18). Absent without QMP access.
     */
    exits: count.optional(),
    haltExits: count.optional(),
    haltWakeup: count.optional(),
    haltWaitNs: count.optional(),
    haltPollSuccessNs: count.optional(),
    haltPollFailNs: count.optional(),
    directedYieldAttempted: count.optional(),
    directedYieldSuccessful: count.optional(),
    preemptionReported: count.optional(),
    preemptionOther: count.optional(),
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
    /**
     * PLE exits of the VM's vCPUs together, where the node counts them per VM (tracefs instances
     * on a kernel without hist triggers) rather than per vCPU thread.
     */
    pleExits: count.optional(),
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
