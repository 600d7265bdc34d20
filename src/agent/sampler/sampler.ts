import type { Missing } from '../host-root';
import type { HostInfo } from '../collectors/host/host-info';
import type { VmKvmStats } from '../collectors/kvm-debugfs/kvm-debugfs';
import type { QemuProcess } from '../collectors/procfs/qemu-processes';
import type { VcpuKvmStats } from '../collectors/qmp/qmp-stats';
import type { TraceCounts } from '../collectors/tracefs/kvm-triggers';
import type { NodeSample, VcpuDelta, VmDelta } from '../../telemetry';

/** Everything the collectors read at one instant: cumulative counters. */
export interface NodeSnapshot {
  timestampMs: number;
  vms: QemuProcess[];
  trace: TraceCounts;
  kvm: Map<number, VmKvmStats>;
  /** Per-vCPU KVM stats from QMP, by thread id. */
  qmp: Map<number, VcpuKvmStats>;
  host: HostInfo;
  /** Signals missing beyond what the collectors listed (no QMP socket, no Kubernetes access). */
  missing: Missing[];
}

/**
 * Turns cumulative counters into per-interval deltas. A counter that went backwards (a QEMU restart
 * reused the VM name, tracing was reset) never yields a negative delta: the delta counts from the
 * reset and the sample says the series restarted.
 */
export class Sampler {
  private previous: NodeSnapshot | null = null;
  private readonly previousByTid = new Map<number, Record<string, number | undefined>>();

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
    let restarted = false;
    const delta = (cur: number | undefined, before: number | undefined): number | undefined => {
      if (cur === undefined) return undefined;
      if (before === undefined) return cur;
      if (cur < before) {
        restarted = true;
        return cur;
      }
      return cur - before;
    };
    const seen = new Map<number, Record<string, number | undefined>>();
    const vcpus: VcpuDelta[] = [];
    const missing = new Map<string, string>();
    for (const m of [...snap.trace.missing, ...snap.host.missing, ...snap.missing])
      missing.set(m.signal, m.reason);
    for (const vm of snap.vms) {
      const prevPid = prev?.vms.find((p) => p.name === vm.name)?.pid;
      if (prevPid !== undefined && prevPid !== vm.pid) restarted = true;
      for (const v of vm.vcpus) {
        const cur: Record<string, number | undefined> = {
          runNs: v.runNs,
          waitNs: v.waitNs,
          timeslices: v.timeslices,
          voluntarySwitches: v.voluntarySwitches,
          involuntarySwitches: v.involuntarySwitches,
          pleExits: snap.trace.pleExits ? (snap.trace.pleExits.get(v.tid) ?? 0) : undefined,
          pleWindowGrows: snap.trace.pleWindowUpdates
            ? (snap.trace.pleWindowUpdates.get(v.tid) ?? 0)
            : undefined,
        };
        seen.set(v.tid, cur);
        const before = this.previousByTid.get(v.tid) ?? {};
        const d: VcpuDelta = { vm: vm.name, vcpu: v.index, tid: v.tid };
        for (const [key, value] of Object.entries(cur)) {
          const change = delta(value, before[key]);
          if (change !== undefined) (d as unknown as Record<string, number>)[key] = change;
        }
        if (snap.trace.ipis) {
          // kvm_apic_ipi's dest_id is the destination APIC ID; QEMU numbers a VM's APIC IDs like its vCPUs.
          const sent = [];
          for (const [key, total] of snap.trace.ipis) {
            const [tid, dest] = key.split(':').map(Number) as [number, number];
            if (tid !== v.tid) continue;
            const count = delta(total, prev?.trace.ipis?.get(key));
            if (count) sent.push({ toVcpu: dest, count });
          }
          d.ipisSent = sent.sort((a, b) => a.toVcpu - b.toVcpu);
        }
        vcpus.push(d);
      }
    }
    this.previousByTid.clear();
    for (const [tid, cur] of seen) this.previousByTid.set(tid, cur);
    const vms: VmDelta[] = [];
    for (const vm of snap.vms) {
      const stats = snap.kvm.get(vm.pid);
      if (!stats && !vm.cpuStat) continue;
      const out: VmDelta = { vm: vm.name, pid: vm.pid };
      if (stats) {
        const before = prev?.kvm.get(vm.pid);
        for (const key of [
          'exits',
          'haltExits',
          'haltWakeup',
          'directedYieldAttempted',
          'directedYieldSuccessful',
        ] as const) {
          const change = delta(stats[key], before?.[key]);
          if (change !== undefined) out[key] = change;
        }
      }
      // The limited cgroup's cpu.stat, against the same cgroup in the previous snapshot.
      const before = prev?.vms.find((p) => p.pid === vm.pid)?.cpuStat;
      if (vm.cpuStat && (!before || before.cgroup === vm.cpuStat.cgroup)) {
        const periods = delta(vm.cpuStat.periods, before?.periods);
        const throttled = delta(vm.cpuStat.throttledPeriods, before?.throttledPeriods);
        const us = delta(vm.cpuStat.throttledUs, before?.throttledUs);
        if (periods !== undefined && throttled !== undefined && us !== undefined) {
          out.cpuPeriods = periods;
          out.cpuThrottledPeriods = throttled;
          out.cpuThrottledUs = us;
        }
      }
      vms.push(out);
    }
    if (snap.vms.length > 0 && snap.kvm.size === 0 && !missing.has('kvmStats'))
      missing.set('kvmStats', 'no KVM statistics found for the running VMs');
    const yieldCount = delta(snap.host.yieldCount, prev?.host.yieldCount);
    if (!prev) return null;
    const sample: NodeSample = {
      schema: 'spinwise.sample.v1',
      node: this.node,
      seq: this.nextSeq++,
      timestampMs: snap.timestampMs,
      intervalMs: Math.max(1, snap.timestampMs - prev.timestampMs),
      seriesRestarted: restarted,
      vcpus,
      vms,
      host: yieldCount === undefined ? {} : { yieldCount },
      agent,
      missing: [...missing]
        .map(([signal, reason]) => ({ signal: signal as Missing['signal'], reason }))
        .sort((a, b) => a.signal.localeCompare(b.signal)),
    };
    return sample;
  }
}
