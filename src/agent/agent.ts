import { codecs, TOPICS, type NodeInventory, type NodeSample } from '../telemetry';
import { collectHostInfo, type HostInfo } from './collectors/host/host-info';
import { collectKvmDebugfs, type KvmDebugfsResult } from './collectors/kvm-debugfs/kvm-debugfs';
import { AgentMetrics } from './agent-metrics';
import { kubevirtIdentityOfDomain } from './collectors/procfs/proc-formats';
import {
  collectQemuProcesses,
  ProcfsCache,
  readVcpuThread,
  type QemuProcess,
} from './collectors/procfs/qemu-processes';
import { collectQmpStats, DEFAULT_QMP, type QmpOptions, type QmpVcpu } from './collectors/qmp/qmp-stats';
import { EventInstances } from './collectors/tracefs/event-instances';
import { KvmTracefs, PAUSE_EXIT_REASON, type TraceCounts } from './collectors/tracefs/kvm-triggers';
import {
  collectLibvirtStats,
  DEFAULT_LIBVIRT,
  virshOnPath,
  type LibvirtOptions,
} from './collectors/libvirt/libvirt-stats';
import { errorCode, type HostRoot, type Missing } from './host-root';
import { MissingReport } from './missing-report';
import { Sampler, type NodeSnapshot } from './sampler/sampler';
import type { DiskSpool } from './sinks/disk-spool';
import type { Sink } from './sinks/sink';

export interface AgentOptions {
  node: string;
  root: HostRoot;
  sink: Sink;
  /** Keeps the sequence number across restarts and reports backlog and drops. */
  spool?: DiskSpool;
  /** Wall or simulated clock, ms since the epoch. */
  clock: () => number;
  /** How QEMU's monitors are reached (per-vCPU KVM statistics, vCPU threads of unnamed QEMUs); false: never. */
  qmp?: Partial<QmpOptions> | false;
  /** How libvirt is asked for the statistics of VMs whose monitor it holds; false: never. Default: virsh on PATH. */
  libvirt?: Partial<LibvirtOptions> | false;
  /** Signals this deployment cannot give at all (no Kubernetes access). */
  unavailable?: Missing[];
  /** The model the operator set for this node (the inventory's `model`); default: the kernel's. */
  model?: string;
}

export interface AgentHealthReport {
  node: string;
  samples: number;
  lastSampleWallMs: number | null;
  lastDeliveredMs: number | null;
  spoolBytes: number;
  droppedSamples: number;
  /** Why samples were dropped (the spool's disk full, read-only, a message the broker refuses), or null. */
  dropReason: string | null;
  spoolQuarantined: number;
  collectErrors: number;
  /** Collectors that failed as a whole (each only cost its own signals). */
  collectorFailures: number;
  triggersRemovedAtStart: number;
  missing: NodeSample['missing'];
}

/** What a collector that failed as a whole gives: nothing (its signals say why). */
const NO_TRACE: TraceCounts = { errors: 0, missing: [] };
const NO_KVM: KvmDebugfsResult = { vms: new Map(), errors: 0, problems: new Map(), nodeProblem: null };
const NO_HOST: HostInfo = {
  kernel: 'unknown',
  scheduler: 'cfs',
  cpuVendor: 'unknown',
  pcpus: 1,
  topology: { sockets: 1, coresPerSocket: 1, threadsPerCore: 1 },
  ple: null,
  ipiVirtualized: null,
  haltPollNs: null,
  errors: 0,
  missing: [],
};

/**
 * One node's agent: collectors → sampler → sink, every interval. Nothing it reads may stop it
 * (DESIGN.md, the agent's failure policy): each collector runs on its own, and one that fails
 * as a whole costs only its signals, reported with the reason.
 */
export class Agent {
  private tracefs: KvmTracefs | null = null;
  /** PLE exits per VM through tracefs instances, where hist triggers are not available. */
  private pleInstances: EventInstances | null = null;
  private readonly sampler: Sampler;
  private lastInventory = '';
  private inventory: NodeInventory | undefined;
  /** What `/metrics` serves: the agent's state and the per-VM counters of the samples it took. */
  readonly metrics: AgentMetrics;
  private readonly procfsCache = new ProcfsCache();
  private readonly qmp: QmpOptions | null;
  private readonly libvirt: LibvirtOptions | null;
  collectErrors = 0;
  collectorFailures = 0;
  samples = 0;
  /** Wall time of the newest sample, and the signals it said were missing. */
  lastSampleWallMs: number | null = null;
  lastMissing: NodeSample['missing'] = [];

  constructor(private readonly options: AgentOptions) {
    this.sampler = new Sampler(options.node, options.spool?.nextSeq ?? 0);
    this.metrics = new AgentMetrics(options.node, () => this.health());
    this.qmp = options.qmp === false ? null : { ...DEFAULT_QMP, ...options.qmp };
    this.libvirt =
      options.libvirt === false ? null : { ...DEFAULT_LIBVIRT, virsh: virshOnPath(), ...options.libvirt };
  }

  /** Installs tracefs triggers and takes the baseline snapshot. */
  async start(): Promise<void> {
    const host = await collectHostInfo(this.options.root);
    const vendor = host.ple?.vendor ?? (host.cpuVendor === 'amd' ? 'svm' : 'vmx');
    this.tracefs = new KvmTracefs(this.options.root, vendor);
    await this.tracefs.start();
    const noHist = this.tracefs.failure('pleExits');
    if (noHist?.endsWith('EINVAL')) {
      // A kernel without CONFIG_HIST_TRIGGERS refuses the trigger: count PAUSE exits per VM instead.
      const instances = new EventInstances(this.options.root, {
        event: 'kvm/kvm_exit',
        filter: `exit_reason == ${PAUSE_EXIT_REASON[vendor]}`,
      });
      const failed = instances.start();
      if (!failed) this.pleInstances = instances;
      this.tracefs.explainFailure(
        'pleExits',
        failed ? `${noHist}; ${failed}` : `per VM only, counted through tracefs instances (${noHist})`,
      );
    }
    this.sampler.observe(await this.snapshot(), this.agentStats());
  }

  private agentStats(): NodeSample['agent'] {
    return {
      spoolBytes: this.options.spool?.pendingBytes ?? 0,
      droppedSamples: this.options.spool?.dropped ?? 0,
    };
  }

  /** A collector that throws costs its own signals (named in `signals`), never the snapshot. */
  private async guarded<T>(
    report: MissingReport,
    what: string,
    signals: Missing['signal'][],
    fallback: T,
    collect: () => Promise<T>,
  ): Promise<T> {
    try {
      return await collect();
    } catch (err) {
      this.collectorFailures++;
      for (const signal of signals) report.node(signal, `${what} failed: ${errorCode(err)}`);
      return fallback;
    }
  }

  private async snapshot(): Promise<NodeSnapshot> {
    const root = this.options.root;
    const report = new MissingReport();
    const [procfs, trace, kvm, host] = await Promise.all([
      this.guarded(report, 'procfs', ['schedstat', 'contextSwitches'], { vms: [], errors: 0 }, () =>
        collectQemuProcesses(root, report, this.procfsCache),
      ),
      this.guarded(report, 'tracefs', ['pleExits', 'pleWindow', 'ipis'], NO_TRACE, () =>
        this.tracefs!.read(),
      ),
      this.guarded(report, 'debugfs', ['kvmStats'], NO_KVM, () => collectKvmDebugfs(root)),
      this.guarded(report, 'host', ['hostInfo'], NO_HOST, () => collectHostInfo(root)),
    ]);
    const qmpOptions = this.qmp;
    const none = () => ({ byVm: new Map<string, QmpVcpu[]>(), errors: 0 });
    const held = procfs.vms.filter((vm) => vm.monitor?.heldByLibvirt);
    const libvirtOptions = this.libvirt;
    const [qmp, libvirt] = await Promise.all([
      qmpOptions
        ? this.guarded(report, 'qmp', ['qmpStats'], none(), () =>
            collectQmpStats(root, procfs.vms, qmpOptions, report),
          )
        : none(),
      held.length && libvirtOptions
        ? this.guarded(report, 'libvirt', ['qmpStats'], none(), () =>
            collectLibvirtStats(root, held, libvirtOptions, report),
          )
        : none(),
    ]);
    if (!qmpOptions && procfs.vms.length > held.length) report.node('qmpStats', 'QMP turned off (--no-qmp)');
    for (const vm of libvirtOptions ? [] : held)
      report.add('qmpStats', 'monitor held by libvirt, and libvirt turned off (--no-libvirt)', vm.name);
    for (const [key, vcpus] of libvirt.byVm) qmp.byVm.set(key, vcpus);
    this.collectErrors +=
      procfs.errors + trace.errors + kvm.errors + host.errors + qmp.errors + libvirt.errors;
    const plePerVm = this.countPleExitsPerVm(procfs.vms, report);
    await this.findUnnamedVcpus(procfs.vms, qmp.byVm, report);
    report.merge(this.options.unavailable ?? []);
    const snap: NodeSnapshot = {
      timestampMs: this.options.clock(),
      vms: procfs.vms,
      trace,
      kvm,
      qmp: qmp.byVm,
      plePerVm,
      host,
      report,
    };
    this.publishInventory(snap);
    return snap;
  }

  /** PLE exits per VM through tracefs instances, where the kernel has no hist triggers. */
  private countPleExitsPerVm(vms: QemuProcess[], report: MissingReport): Map<string, number> {
    if (!this.pleInstances) return new Map();
    const { counts, problems } = this.pleInstances.read(
      new Map(vms.filter((vm) => vm.vcpus.length).map((vm) => [vm.key, vm.vcpus.map((v) => v.tid)])),
    );
    for (const [key, problem] of problems)
      report.add('pleExits', problem, vms.find((vm) => vm.key === key)?.name ?? key);
    return counts;
  }

  /**
   * A QEMU started without `-name debug-threads=on` names every thread after itself; its
   * monitor still says which thread runs which vCPU (query-cpus-fast).
   */
  private async findUnnamedVcpus(
    vms: QemuProcess[],
    qmp: Map<string, QmpVcpu[]>,
    report: MissingReport,
  ): Promise<void> {
    for (const vm of vms.filter((v) => v.unnamedVcpus)) {
      const known = qmp.get(vm.key);
      if (!known) {
        report.add(
          'vmIdentity',
          'vCPU threads unnamed (no -name debug-threads=on) and no QMP to name them',
          vm.name,
        );
        continue;
      }
      for (const q of known) {
        const read = await readVcpuThread(this.options.root, vm.pid, q.tid, q.index, vm.name, report).catch(
          () => null,
        );
        if (read) vm.vcpus.push(read.thread);
      }
      vm.vcpus.sort((a, b) => a.index - b.index);
    }
  }

  /** The inventory goes out when it changes (compacted topic: the newest per node is what counts). */
  private publishInventory(snap: NodeSnapshot): void {
    const { host } = snap;
    const inventory: NodeInventory = {
      schema: 'spinwise.inventory.v1',
      node: this.options.node,
      timestampMs: snap.timestampMs,
      kernel: host.kernel,
      ...(this.options.model ? { model: this.options.model } : {}),
      scheduler: host.scheduler,
      cpuVendor: host.cpuVendor,
      pcpus: host.pcpus,
      topology: host.topology,
      ple: host.ple,
      ipiVirtualized: host.ipiVirtualized,
      ...(host.haltPollNs !== null ? { haltPollNs: host.haltPollNs } : {}),
      vms: snap.vms.map((vm) => ({
        name: vm.name,
        pid: vm.pid,
        ...(vm.startTicks !== undefined ? { startTicks: vm.startTicks } : {}),
        vcpus: vm.vcpus.map((v) => ({ index: v.index, tid: v.tid, affinity: v.affinity })),
        // In a virt-launcher pod (cgroup names a pod), the domain name carries namespace and VMI.
        ...(vm.podUid
          ? { kubevirt: { podUid: vm.podUid, ...(kubevirtIdentityOfDomain(vm.name) ?? {}) } }
          : {}),
        ...(vm.cpuStat ? { cpuLimit: { quotaUs: vm.cpuStat.quotaUs, periodUs: vm.cpuStat.periodUs } } : {}),
        ...(vm.pv ? { pv: vm.pv } : {}),
      })),
    };
    this.inventory = inventory;
    const fingerprint = JSON.stringify({ ...inventory, timestampMs: 0 });
    if (fingerprint === this.lastInventory) return;
    this.lastInventory = fingerprint;
    this.options.sink.write([
      {
        topic: TOPICS.inventory,
        key: this.options.node,
        value: codecs.inventory.encode(inventory).toString(),
      },
    ]);
  }

  /** Collects, turns counters into one sample and hands it to the sink. */
  async sample(): Promise<NodeSample> {
    const snap = await this.snapshot();
    const sample = this.sampler.observe(snap, this.agentStats())!;
    this.samples++;
    this.lastSampleWallMs = Date.now();
    this.lastMissing = sample.missing;
    this.metrics.observe(sample, this.inventory);
    this.options.sink.write([
      { topic: TOPICS.samples, key: this.options.node, value: codecs.sample.encode(sample).toString() },
    ]);
    // Only once the sample is spooled: a seq saved first would be lost with a kill in between.
    if (this.options.spool) this.options.spool.nextSeq = this.sampler.seq;
    return sample;
  }

  /** What the agent's /metrics and /healthz report. */
  health(): AgentHealthReport {
    const spool = this.options.spool;
    return {
      node: this.options.node,
      samples: this.samples,
      lastSampleWallMs: this.lastSampleWallMs,
      lastDeliveredMs: this.options.sink.lastDeliveredMs,
      spoolBytes: spool?.pendingBytes ?? 0,
      droppedSamples: spool?.dropped ?? 0,
      dropReason: spool?.dropReason ?? null,
      spoolQuarantined: spool?.quarantined ?? 0,
      collectErrors: this.collectErrors,
      collectorFailures: this.collectorFailures,
      triggersRemovedAtStart: this.tracefs?.removedAtStart ?? 0,
      missing: this.lastMissing,
    };
  }

  /** Removes exactly the triggers it installed and flushes the sink. */
  async stop(): Promise<void> {
    await this.tracefs?.stop();
    this.pleInstances?.stop();
    await this.options.sink.flush();
    await this.options.sink.close();
  }
}
