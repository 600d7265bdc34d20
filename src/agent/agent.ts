import { codecs, TOPICS, type NodeInventory, type NodeSample } from '../telemetry';
import { collectHostInfo } from './collectors/host/host-info';
import { collectKvmDebugfs } from './collectors/kvm-debugfs/kvm-debugfs';
import { kubevirtIdentityOfDomain } from './collectors/procfs/proc-formats';
import { collectQemuProcesses } from './collectors/procfs/qemu-processes';
import { collectQmpStats } from './collectors/qmp/qmp-stats';
import { KvmTracefs } from './collectors/tracefs/kvm-triggers';
import type { HostRoot, Missing } from './host-root';
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
  /** Where `<domain>.sock` QMP sockets live, for per-vCPU KVM stats (query-stats). */
  qmpSocketDir?: string;
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
  collectErrors: number;
  triggersReused: number;
  missing: NodeSample['missing'];
}

/** One node's agent: collectors → sampler → sink, every interval. */
export class Agent {
  private tracefs: KvmTracefs | null = null;
  private readonly sampler: Sampler;
  private lastInventory = '';
  private readonly threadNames = new Map<string, number | null>();
  collectErrors = 0;
  samples = 0;
  /** Wall time of the newest sample, and the signals it said were missing. */
  lastSampleWallMs: number | null = null;
  lastMissing: NodeSample['missing'] = [];

  constructor(private readonly options: AgentOptions) {
    this.sampler = new Sampler(options.node, options.spool?.nextSeq ?? 0);
  }

  /** Installs tracefs triggers and takes the baseline snapshot. */
  async start(): Promise<void> {
    const host = await collectHostInfo(this.options.root);
    this.tracefs = new KvmTracefs(
      this.options.root,
      host.ple?.vendor ?? (host.cpuVendor === 'amd' ? 'svm' : 'vmx'),
    );
    await this.tracefs.start();
    this.sampler.observe(await this.snapshot(), this.agentStats());
  }

  private agentStats(): NodeSample['agent'] {
    return {
      spoolBytes: this.options.spool?.pendingBytes ?? 0,
      droppedSamples: this.options.spool?.dropped ?? 0,
    };
  }

  private async snapshot(): Promise<NodeSnapshot> {
    const root = this.options.root;
    const [vms, trace, kvm, host] = await Promise.all([
      collectQemuProcesses(root, this.threadNames),
      this.tracefs!.read(),
      collectKvmDebugfs(root),
      collectHostInfo(root),
    ]);
    const qmp = await collectQmpStats(
      this.options.qmpSocketDir,
      vms.vms.map((vm) => vm.name),
    );
    this.collectErrors += vms.errors + trace.errors + kvm.errors + host.errors + qmp.errors;
    const missing = [...vms.missing, ...kvm.missing, ...qmp.missing, ...(this.options.unavailable ?? [])];
    if (vms.vms.length === 0)
      missing.splice(0, missing.length, ...missing.filter((m) => m.signal !== 'kvmStats'));
    const snap: NodeSnapshot = {
      timestampMs: this.options.clock(),
      vms: vms.vms,
      trace,
      kvm: kvm.vms,
      qmp: qmp.byTid,
      host,
      missing,
    };
    this.publishInventory(snap);
    return snap;
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
      vms: snap.vms.map((vm) => ({
        name: vm.name,
        pid: vm.pid,
        vcpus: vm.vcpus.map((v) => ({ index: v.index, tid: v.tid, affinity: v.affinity })),
        // In a virt-launcher pod (cgroup names a pod), the domain name carries namespace and VMI.
        ...(vm.podUid
          ? { kubevirt: { podUid: vm.podUid, ...(kubevirtIdentityOfDomain(vm.name) ?? {}) } }
          : {}),
        ...(vm.cpuStat ? { cpuLimit: { quotaUs: vm.cpuStat.quotaUs, periodUs: vm.cpuStat.periodUs } } : {}),
      })),
    };
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
    if (this.options.spool) this.options.spool.nextSeq = this.sampler.seq;
    this.options.sink.write([
      { topic: TOPICS.samples, key: this.options.node, value: codecs.sample.encode(sample).toString() },
    ]);
    return sample;
  }

  /** What the agent's /metrics and /healthz report. */
  health(): AgentHealthReport {
    return {
      node: this.options.node,
      samples: this.samples,
      lastSampleWallMs: this.lastSampleWallMs,
      lastDeliveredMs: this.options.sink.lastDeliveredMs,
      spoolBytes: this.options.spool?.pendingBytes ?? 0,
      droppedSamples: this.options.spool?.dropped ?? 0,
      collectErrors: this.collectErrors,
      triggersReused: this.tracefs?.reused ?? 0,
      missing: this.lastMissing,
    };
  }

  /** Removes exactly the triggers it installed and flushes the sink. */
  async stop(): Promise<void> {
    await this.tracefs?.stop();
    await this.options.sink.flush();
    await this.options.sink.close();
  }
}
