import type { HostInfo } from '../collectors/host/host-info';
import type { KvmDebugfsResult } from '../collectors/kvm-debugfs/kvm-debugfs';
import type { QemuProcess } from '../collectors/procfs/qemu-processes';
import type { QmpVcpu } from '../collectors/qmp/qmp-stats';
import type { TraceCounts } from '../collectors/tracefs/kvm-triggers';
import type { MissingReport } from '../missing-report';
import type { NodeSample, VcpuDelta, VmDelta } from '../../telemetry';
import { counterDelta, type CounterKind } from './counter-delta';

/** Everything the collectors read at one instant: cumulative counters. */
export interface NodeSnapshot {
  timestampMs: number;
  vms: QemuProcess[];
  trace: TraceCounts;
  kvm: KvmDebugfsResult;
  /** Per-vCPU KVM statistics from QMP or libvirt, by the VM's process identity (`QemuProcess.key`). */
  qmp: Map<string, QmpVcpu[]>;
  /** Cumulative PLE exits per VM (tracefs instances, where hist triggers are missing), by identity. */
  plePerVm: Map<string, number>;
  host: HostInfo;
  /** Why signals are missing in this snapshot; the sampler adds what its checks find. */
  report: MissingReport;
}

type Counters = Record<string, number | undefined>;

/** Per-vCPU counters and how each may change between two readings of the same thread. */
const VCPU_COUNTERS: Record<string, CounterKind> = {
  runNs: 'time',
  waitNs: 'time',
  timeslices: 'count',
  voluntarySwitches: 'count',
  involuntarySwitches: 'count',
  pleExits: 'resettable',
  pleWindowGrows: 'resettable',
  exits: 'count',
  haltExits: 'count',
  haltWakeup: 'count',
  haltWaitNs: 'time',
  haltPollSuccessNs: 'time',
  haltPollFailNs: 'time',
  directedYieldAttempted: 'count',
  directedYieldSuccessful: 'count',
  preemptionReported: 'count',
  preemptionOther: 'count',
};

/** The signal a counter belongs to, for the reason when its value fails a check. */
const SIGNAL_OF: Record<string, Parameters<MissingReport['add']>[0]> = {
  runNs: 'schedstat',
  waitNs: 'schedstat',
  timeslices: 'schedstat',
  voluntarySwitches: 'contextSwitches',
  involuntarySwitches: 'contextSwitches',
  pleExits: 'pleExits',
  pleWindowGrows: 'pleWindow',
};

const VM_KVM_COUNTERS = [
  'exits',
  'haltExits',
  'haltWakeup',
  'directedYieldAttempted',
  'directedYieldSuccessful',
] as const;

/**
 * Turns cumulative counters into per-interval deltas, only between two readings of the same
 * thread of the same process (pid and start time: a QEMU that got an old one's pid is new). A
 * thread's first reading is its baseline; a value that is unreadable, goes backwards or moves
 * more than the interval allows is left out, becomes the new baseline and is named in the
 * sample's missing signals — never a cumulative counter sent as one interval's delta. Tracefs
 * counts that restart (a trigger reinstalled) count from the restart and mark `seriesRestarted`,
 * as does a VM name that now belongs to another process.
 */
export class Sampler {
  private previous: NodeSnapshot | null = null;
  private previousByThread = new Map<string, Counters>();

  constructor(
    private readonly node: string,
    private nextSeq: number,
  ) {}

  get seq(): number {
    return this.nextSeq;
  }

  /** The first snapshot is the baseline; later ones produce a sample. */
  observe(snap: NodeSnapshot, agent: NodeSample['agent']): NodeSample | null {
    const prev = this.previous;
    this.previous = snap;
    const elapsedNs = prev ? Math.max(0, snap.timestampMs - prev.timestampMs) * 1e6 : 0;
    let restarted = false;
    const report = snap.report;
    const byThread = new Map<string, Counters>();
    const vcpus: VcpuDelta[] = [];
    // The previous snapshot's VMs by identity and by name, and IPIs by sender: looked up, not searched.
    const prevByKey = new Map(prev?.vms.map((v) => [v.key, v]));
    const prevByName = new Map(prev?.vms.map((v) => [v.name, v]));
    const ipisBySender = snap.trace.ipis ? bySender(snap.trace.ipis) : null;
    for (const vm of snap.vms) {
      const before = prevByName.get(vm.name);
      if (before && before.key !== vm.key) restarted = true;
      const qmpByTid = new Map((snap.qmp.get(vm.key) ?? []).map((q) => [q.tid, q.stats]));
      for (const v of vm.vcpus) {
        const cur: Counters = {
          runNs: v.runNs,
          waitNs: v.waitNs,
          timeslices: v.timeslices,
          voluntarySwitches: v.voluntarySwitches,
          involuntarySwitches: v.involuntarySwitches,
          pleExits: snap.trace.pleExits ? (snap.trace.pleExits.get(v.tid) ?? 0) : undefined,
          pleWindowGrows: snap.trace.pleWindowUpdates
            ? (snap.trace.pleWindowUpdates.get(v.tid) ?? 0)
            : undefined,
          ...qmpByTid.get(v.tid),
        };
        const key = `${vm.key}/${v.tid}`;
        const last = this.previousByThread.get(key);
        byThread.set(key, cur);
        if (!last) continue; // first reading of this thread: its baseline
        const d: VcpuDelta = { vm: vm.name, vcpu: v.index, tid: v.tid };
        for (const [counter, kind] of Object.entries(VCPU_COUNTERS)) {
          const change = counterDelta(kind, cur[counter], last[counter], elapsedNs);
          if (change.value !== undefined) (d as unknown as Counters)[counter] = change.value;
          if (change.restarted) restarted = true;
          if (change.problem)
            report.add(
              SIGNAL_OF[counter] ?? 'qmpStats',
              `${counter} ${change.problem}`,
              `${vm.name} CPU ${v.index}`,
            );
        }
        if (ipisBySender) d.ipisSent = ipisOf(ipisBySender.get(v.tid) ?? [], prev?.trace.ipis);
        vcpus.push(d);
      }
    }
    this.previousByThread = byThread;

    const vms: VmDelta[] = [];
    for (const vm of snap.vms) {
      const out: VmDelta = { vm: vm.name, pid: vm.pid };
      const beforeVm = prevByKey.get(vm.key);
      const stats = snap.kvm.vms.get(vm.pid);
      const beforeStats = beforeVm ? prev!.kvm.vms.get(vm.pid) : undefined;
      if (stats && beforeStats)
        for (const key of VM_KVM_COUNTERS) {
          const change = counterDelta('count', stats[key], beforeStats[key], elapsedNs);
          if (change.value !== undefined) out[key] = change.value;
          else if (change.problem) report.add('kvmStats', `${key} ${change.problem}`, vm.name);
        }
      // PLE exits the node counts only per VM (tracefs instances), between two readings of this VM.
      const ple = snap.plePerVm.get(vm.key);
      const plePrev = beforeVm ? prev!.plePerVm.get(vm.key) : undefined;
      if (ple !== undefined && plePrev !== undefined) {
        const change = counterDelta('count', ple, plePrev, elapsedNs);
        if (change.value !== undefined) out.pleExits = change.value;
      }
      if (!stats && !snap.qmp.has(vm.key))
        report.add(
          'kvmStats',
          snap.kvm.problems.get(vm.pid) ?? snap.kvm.nodeProblem ?? 'no debugfs kvm/ entry and no QMP',
          vm.name,
        );
      // The limited cgroup's cpu.stat, against the same cgroup of the same process.
      const cpu = vm.cpuStat;
      const cpuBefore = beforeVm?.cpuStat;
      if (cpu && cpuBefore && cpuBefore.cgroup === cpu.cgroup) {
        const periods = counterDelta('count', cpu.periods, cpuBefore.periods, elapsedNs);
        const throttled = counterDelta('count', cpu.throttledPeriods, cpuBefore.throttledPeriods, elapsedNs);
        // throttled_usec sums every CPU's throttled time: it may exceed the wall time, so a count.
        const us = counterDelta('count', cpu.throttledUs, cpuBefore.throttledUs, elapsedNs);
        if (periods.value !== undefined && throttled.value !== undefined && us.value !== undefined) {
          out.cpuPeriods = periods.value;
          out.cpuThrottledPeriods = throttled.value;
          out.cpuThrottledUs = us.value;
        } else report.add('cpuLimit', 'cpu.stat went backwards or jumped', vm.name);
      }
      if (Object.keys(out).length > 2) vms.push(out);
    }
    report.merge(snap.trace.missing);
    report.merge(snap.host.missing);
    const yieldCount = counterDelta('resettable', snap.host.yieldCount, prev?.host.yieldCount, elapsedNs);
    if (!prev) return null;
    return {
      schema: 'spinwise.sample.v1',
      node: this.node,
      seq: this.nextSeq++,
      timestampMs: snap.timestampMs,
      intervalMs: Math.max(1, snap.timestampMs - prev.timestampMs),
      seriesRestarted: restarted,
      vcpus,
      vms,
      host: yieldCount.value === undefined ? {} : { yieldCount: yieldCount.value },
      agent,
      missing: report.list(),
    };
  }
}

/** Cumulative IPI counts ("senderTid:destApicId" → count) grouped by sender thread. */
function bySender(ipis: Map<string, number>): Map<number, [key: string, dest: number, total: number][]> {
  const out = new Map<number, [string, number, number][]>();
  for (const [key, total] of ipis) {
    const [sender, dest] = key.split(':').map(Number) as [number, number];
    let list = out.get(sender);
    if (!list) out.set(sender, (list = []));
    list.push([key, dest, total]);
  }
  return out;
}

/** IPIs one vCPU thread sent over the interval, per destination (kvm_apic_ipi's dest_id is the APIC ID; QEMU numbers them like its vCPUs). */
function ipisOf(
  sent: [key: string, dest: number, total: number][],
  before: Map<string, number> | undefined,
): NonNullable<VcpuDelta['ipisSent']> {
  const out = [];
  for (const [key, dest, total] of sent) {
    const last = before?.get(key) ?? 0;
    const count = total >= last ? total - last : total;
    if (count) out.push({ toVcpu: dest, count });
  }
  return out.sort((a, b) => a.toVcpu - b.toVcpu);
}
