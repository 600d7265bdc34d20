import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { basePleWindowNs, vmSeriesLabels, type NodeInventory, type NodeSample } from '../telemetry';
import type { AgentHealthReport } from './agent';

const VM_LABELS = ['namespace', 'name', 'node'] as const;
type VmLabels = Record<(typeof VM_LABELS)[number], string>;

/** What one sample adds to a VM's counters; a counter the node could not give stays undefined. */
interface VmIncrements {
  vcpus: number;
  pleExits?: number;
  runNs?: number;
  waitNs?: number;
  periods?: number;
  throttledPeriods?: number;
  throttledUs?: number;
  yieldsAttempted?: number;
  yieldsSuccessful?: number;
}

type Counted = Exclude<keyof VmIncrements, 'vcpus'>;

/** Adds `value` to `into[key]`, or makes it undefined for the sample once one vCPU lacks it. */
function add(into: VmIncrements, key: Counted, value: number | undefined) {
  if (value === undefined) into[key] = undefined;
  else if (!(key in into) || into[key] !== undefined) into[key] = (into[key] ?? 0) + value;
}

/** A sample's deltas per VM: its vCPU threads' and its own (cpu.stat, KVM's per-VM statistics). */
export function vmIncrements(sample: NodeSample): Map<string, VmIncrements> {
  const vms = new Map<string, VmIncrements>();
  const of = (vm: string) => vms.get(vm) ?? vms.set(vm, { vcpus: 0 }).get(vm)!;
  for (const v of sample.vcpus) {
    const vm = of(v.vm);
    vm.vcpus++;
    add(vm, 'runNs', v.runNs);
    add(vm, 'waitNs', v.waitNs);
    // PLE exits per vCPU where the node counts them per thread; per VM (below) where it cannot.
    if (v.pleExits !== undefined) add(vm, 'pleExits', v.pleExits);
    if (v.directedYieldAttempted !== undefined) add(vm, 'yieldsAttempted', v.directedYieldAttempted);
    if (v.directedYieldSuccessful !== undefined) add(vm, 'yieldsSuccessful', v.directedYieldSuccessful);
  }
  for (const d of sample.vms) {
    const vm = of(d.vm);
    if (d.pleExits !== undefined) add(vm, 'pleExits', d.pleExits);
    if (d.directedYieldAttempted !== undefined) add(vm, 'yieldsAttempted', d.directedYieldAttempted);
    if (d.directedYieldSuccessful !== undefined) add(vm, 'yieldsSuccessful', d.directedYieldSuccessful);
    if (d.cpuPeriods !== undefined) add(vm, 'periods', d.cpuPeriods);
    if (d.cpuThrottledPeriods !== undefined) add(vm, 'throttledPeriods', d.cpuThrottledPeriods);
    if (d.cpuThrottledUs !== undefined) add(vm, 'throttledUs', d.cpuThrottledUs);
  }
  return vms;
}

/**
 * The agent's `/metrics` through prom-client: Node's process metrics, the agent's own state (read
 * at each scrape), and per-VM counters summed from the samples it sends, labelled like KubeVirt's
 * `kubevirt_vmi_*` (namespace, name, node) so that `rate()` of one joins the other. A counter the
 * node cannot give has no series (never a silent zero); a VM that has gone loses its series.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly vmLabels = new Map<string, VmLabels>();
  private readonly vcpus: Gauge;
  private readonly spin: Counter;
  /** Each counter with the sample field it sums and what that field counts per unit (ns per second). */
  private readonly counters: [Counted, Counter, number][];

  constructor(node: string, report: () => AgentHealthReport) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const own = (name: string, help: string, value: (h: AgentHealthReport) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['node'],
        registers,
        collect() {
          this.set({ node }, value(report()) ?? Number.NaN);
        },
      });
    const ownCounter = (name: string, help: string, value: (h: AgentHealthReport) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['node'],
        registers,
        collect() {
          this.reset();
          this.inc({ node }, value(report()));
        },
      });
    ownCounter('spinwise_agent_samples_total', 'Samples taken', (h) => h.samples);
    own('spinwise_agent_last_sample_timestamp_seconds', 'When the newest sample was taken', (h) =>
      h.lastSampleWallMs === null ? null : h.lastSampleWallMs / 1000,
    );
    own('spinwise_agent_last_send_timestamp_seconds', 'When Kafka (or stdout) last took records', (h) =>
      h.lastDeliveredMs === null ? null : h.lastDeliveredMs / 1000,
    );
    own('spinwise_agent_spool_bytes', 'Bytes waiting in the disk spool for the broker', (h) => h.spoolBytes);
    ownCounter(
      'spinwise_agent_dropped_samples_total',
      'Samples dropped because the spool was full',
      (h) => h.droppedSamples,
    );
    ownCounter(
      'spinwise_agent_collector_errors_total',
      'Unreadable or malformed files met by the collectors',
      (h) => h.collectErrors,
    );
    ownCounter(
      'spinwise_agent_collector_failures_total',
      'Collectors that failed as a whole (each cost only its own signals)',
      (h) => h.collectorFailures,
    );
    ownCounter(
      'spinwise_agent_spool_quarantined_total',
      'Corrupted spools moved aside (renamed *.corrupt-<ms>) and started afresh',
      (h) => h.spoolQuarantined,
    );
    own(
      'spinwise_agent_hist_triggers_removed_at_start',
      'Hist triggers a previous agent left behind (killed) and this one removed before installing its own',
      (h) => h.triggersRemovedAtStart,
    );
    new Gauge({
      name: 'spinwise_agent_last_drop_reason',
      help: 'Why samples were last dropped (1, with the reason), none if never',
      labelNames: ['node', 'reason'],
      registers,
      collect() {
        this.reset();
        const reason = report().dropReason;
        if (reason) this.set({ node, reason }, 1);
      },
    });
    new Gauge({
      name: 'spinwise_agent_signal_missing',
      help: 'A signal this node cannot give (1), with the reason',
      labelNames: ['node', 'signal', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const m of report().missing) this.set({ node, signal: m.signal, reason: m.reason }, 1);
      },
    });

    this.vcpus = new Gauge({
      name: 'spinwise_vm_vcpus',
      help: 'vCPUs of the VM the agent measures',
      labelNames: VM_LABELS,
      registers,
    });
    const counter = (key: Counted, name: string, help: string, per = 1) =>
      [key, new Counter({ name, help, labelNames: VM_LABELS, registers }), per] as [Counted, Counter, number];
    this.counters = [
      counter('pleExits', 'spinwise_vm_ple_exits_total', 'PAUSE-loop exits of the VM’s vCPUs'),
      counter(
        'runNs',
        'spinwise_vm_vcpu_run_seconds_total',
        'Time the VM’s vCPU threads ran on a pCPU (schedstat)',
        1e9,
      ),
      counter(
        'waitNs',
        'spinwise_vm_runqueue_wait_seconds_total',
        'Time the VM’s vCPU threads waited runnable in a host run queue (schedstat run_delay)',
        1e9,
      ),
      counter(
        'periods',
        'spinwise_vm_cpu_periods_total',
        'CFS bandwidth periods of the VM’s CPU-limited cgroup (cpu.stat nr_periods)',
      ),
      counter(
        'throttledPeriods',
        'spinwise_vm_cpu_throttled_periods_total',
        'Periods the VM’s CPU limit throttled it in (cpu.stat nr_throttled)',
      ),
      counter(
        'throttledUs',
        'spinwise_vm_cpu_throttled_seconds_total',
        'Time the VM’s CPU limit held it throttled (cpu.stat throttled_usec)',
        1e6,
      ),
      counter(
        'yieldsAttempted',
        'spinwise_vm_directed_yield_attempts_total',
        'Paravirtual directed yields the VM’s vCPUs asked for (KVM statistics)',
      ),
      counter(
        'yieldsSuccessful',
        'spinwise_vm_directed_yield_successes_total',
        'Paravirtual directed yields that switched to their target (KVM statistics)',
      ),
    ];
    this.spin = new Counter({
      name: 'spinwise_vm_spin_seconds_total',
      help: 'Time the VM’s vCPUs spun, at least: PLE exits × the base PLE window',
      labelNames: VM_LABELS,
      registers,
    });
  }

  /** Adds a sample's deltas to the VMs' counters; VMs not in it lose their series. */
  observe(sample: NodeSample, inventory: NodeInventory | undefined): void {
    const increments = vmIncrements(sample);
    const forget = (labels: VmLabels) => {
      for (const metric of [this.vcpus, this.spin, ...this.counters.map(([, c]) => c)]) metric.remove(labels);
    };
    for (const [vm, labels] of this.vmLabels)
      if (!increments.has(vm)) {
        forget(labels);
        this.vmLabels.delete(vm);
      }
    const pleNs = basePleWindowNs(inventory?.ple ?? null);
    for (const [vm, inc] of increments) {
      const labels = vmSeriesLabels(sample.node, vm, inventory);
      // Its identity learnt late (the inventory named its VMI): the series under the old labels go.
      const before = this.vmLabels.get(vm);
      if (before && (before.namespace !== labels.namespace || before.name !== labels.name)) forget(before);
      this.vmLabels.set(vm, labels);
      if (inc.vcpus > 0) this.vcpus.set(labels, inc.vcpus);
      for (const [key, metric, per] of this.counters) {
        const value = inc[key];
        if (value !== undefined) metric.inc(labels, value / per);
      }
      if (inc.pleExits !== undefined && pleNs > 0) this.spin.inc(labels, (inc.pleExits * pleNs) / 1e9);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
