import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { routeInvalidToDeadLetter } from '../adapters/bus/dead-letter-router';
import type {
  BusConsumer,
  BusProducer,
  CommitPosition,
  MessageBus,
  OutgoingMessage,
} from '../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import {
  codecs,
  defaultTopicSpecs,
  TOPICS,
  type NodeAnalysis,
  type NodeInventory,
  type NodeSample,
} from '../telemetry';
import { AlertTracker, type ActiveAlert, type AlertEvent } from './alerts/alert-tracker';
import { agentHealth, type AgentHealth, type NodeSummary } from './node-summary';
import { ModelPool } from './model-pool/model-pool';
import {
  oversubscriptionOf,
  prepareAnalysis,
  wireAnalysis,
  type NodeAnalysisResult,
} from './domain/analyze-node';
import { ModelCache, type ModelledNode } from './domain/model-cache';
import type { FitHint } from './domain/calibrate';
import { NodeWindow } from './domain/node-window';
import { analysisPoints, samplePoints } from './store-points';
import { GroupSend } from './group-send';
import { PointBuffer } from './point-buffer';
import { decodeMarks, encodeMarks, nodeKey } from './resume-marks';

export interface AdvisorOptions {
  /** The rolling window per node (default 5 minutes). */
  windowMs?: number;
  /**
   * Each node is analysed once per epoch of this length in the samples' own time (default 60 s):
   * when its first sample of the next epoch arrives, or after `idleMs` without samples.
   */
  analysisIntervalMs?: number;
  /** Wall time without samples after which a node's open epoch is analysed (default 2 epochs). */
  idleMs?: number;
  /** Analyses in a row over (under) a threshold before an alert is raised (cleared); default 2 and 2. */
  raiseAfter?: number;
  clearAfter?: number;
  groupId?: string;
  /** Where a new consumer group starts: the oldest sample kept (default), or only new ones. */
  fromBeginning?: boolean;
  /** Worker threads that analyse (default: one per core but one, at least one). */
  analysisWorkers?: number;
  /** Called once per published analysis, with the model time it took and whether the fit was reused. */
  onAnalysis?: (
    analysis: NodeAnalysis,
    cost: { ms: number; cached: boolean; closedAtWallMs: number },
  ) => void;
  onAlert?: (alert: AlertEvent) => void;
  log?: (line: string) => void;
}

interface NodeState {
  window: NodeWindow;
  partition: number;
  /** The open epoch: the one the newest sample fell in. */
  epoch: number;
  /** Samples accepted since the last published analysis, and the first offset among them. */
  fresh: number;
  freshFromSeq: number;
  heldFromOffset: bigint | null;
  /** Samples up to this seq were analysed (by this replica or, per the commit's marks, a previous owner). */
  analysedThroughSeq: number;
  /** Offset of the newest sample the last published analysis covered. */
  analysedOffset: bigint;
  /** Offset of the newest fresh sample. */
  freshToOffset: bigint;
  lastSampleWallMs: number;
  /** Timestamp of the first sample this replica saw of the node. */
  firstSampleMs: number;
  analysis?: NodeAnalysis;
  hint?: FitHint;
  alerts: AlertTracker;
  /** Closed windows on their way to analysis and publication, oldest first; they hold the commit. */
  pending: ClosedWindow[];
  /** The node's analyses run one after another, in order. */
  chain: Promise<void>;
}

/** A window taken at its close: what to analyse, and the samples it newly covers. */
interface ClosedWindow {
  inventory: NodeInventory;
  samples: NodeSample[];
  freshFromSeq: number;
  freshToOffset: bigint;
  heldFromOffset: bigint | null;
  closedAtWallMs: number;
}

/** Counters exported on /metrics. */
export interface AdvisorMetrics {
  samplesIngested: number;
  inventoriesIngested: number;
  duplicates: number;
  deadLettered: number;
  windowsAnalysed: number;
  lastAnalysisMs: number;
  analysisMsTotal: number;
  /** Wall ms from a window's close to its analysis being published. */
  lastDelayMs: number;
  /** Broker append time to handling of the newest sample. */
  ingestLagMs: number;
  /** Resume marks that did not fit a commit's metadata (their windows may be analysed again after a handover). */
  resumeMarksDropped: number;
  alertsRaised: number;
  storeWriteFailures: number;
}

const ALERT_HISTORY = 500;

/**
 * The advisor's engine, free of Nest. Samples come through a consumer group (replicas share nodes
 * by partition); every replica reads all inventories. A node's samples are analysed once per epoch
 * and published to spinwise.analyses.v1, and only then is the partition's offset committed past
 * them: a replica that stops or dies leaves its unanalysed samples to the next owner, which
 * neither loses a window nor analyses one twice.
 */
export class AdvisorCore {
  private readonly nodes = new Map<string, NodeState>();
  private readonly inventories = new Map<string, NodeInventory>();
  private readonly inventoryWaiters = new Map<string, (() => void)[]>();
  /** Per samples partition: the next offset after what was handled, and what was committed. */
  private readonly handledNext = new Map<number, bigint>();
  private readonly committed = new Map<number, { offset: bigint; metadata: string }>();
  /** Per newly owned partition: the previous owner's marks, read once from the commit's metadata. */
  private readonly resumeMarks = new Map<number, Promise<Map<string, number>>>();
  private readonly alertHistory: AlertEvent[] = [];
  private readonly points: PointBuffer;
  private pool: ModelPool | null = null;
  private readonly cache = new ModelCache();
  private readonly fitting = new Map<string, Promise<ModelledNode>>();
  private readonly publish = new GroupSend<OutgoingMessage>((messages) =>
    this.producer!.send(TOPICS.analyses, messages),
  );
  /** Commit requests that arrive while one is in flight share the next (which reads the state then). */
  private readonly commits = new GroupSend<null>(() => this.commitNow());
  private samples: BusConsumer | null = null;
  private inventory: BusConsumer | null = null;
  private producer: BusProducer | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The tick in progress, if any: one at a time, and stop() waits for it. */
  private ticking: Promise<void> | null = null;
  ready = false;
  readonly metrics: AdvisorMetrics = {
    samplesIngested: 0,
    inventoriesIngested: 0,
    duplicates: 0,
    deadLettered: 0,
    windowsAnalysed: 0,
    lastAnalysisMs: 0,
    analysisMsTotal: 0,
    lastDelayMs: 0,
    ingestLagMs: 0,
    resumeMarksDropped: 0,
    alertsRaised: 0,
    storeWriteFailures: 0,
  };

  constructor(
    private readonly bus: MessageBus,
    private readonly store: TimeSeriesStore,
    private readonly options: AdvisorOptions = {},
  ) {
    this.points = new PointBuffer(store, (err) => {
      this.metrics.storeWriteFailures++;
      options.log?.(`advisor: store write failed (kept for retry): ${err.message}`);
    });
  }

  private get epochMs(): number {
    return this.options.analysisIntervalMs ?? 60_000;
  }

  /** The epoch a sample covers: by the middle of its interval, so one ending on a boundary counts before it. */
  private epochOf(sample: NodeSample): number {
    return Math.floor((sample.timestampMs - sample.intervalMs / 2) / this.epochMs);
  }

  async start(): Promise<void> {
    this.pool = new ModelPool(this.options.analysisWorkers ?? Math.max(1, availableParallelism() - 1));
    await this.bus.ensureTopics(defaultTopicSpecs());
    await this.store.open();
    this.producer = this.bus.producer();
    const deadLetters: BusProducer = {
      send: async (topic, messages) => {
        this.metrics.deadLettered += messages.length;
        await this.producer!.send(topic, messages);
      },
      close: async () => undefined,
    };
    // Every replica keeps every node's inventory (a compacted topic: one message per node), read
    // outside the shared group so that a node's samples and inventory never land on different replicas.
    this.inventory = this.bus.consumer({
      groupId: `spinwise-advisor-inventory-${randomUUID()}`,
      topics: [TOPICS.inventory],
      fromBeginning: true,
    });
    await this.inventory.start(
      routeInvalidToDeadLetter(codecs.inventory, deadLetters, async (i) => {
        this.metrics.inventoriesIngested++;
        this.inventories.set(i.node, i);
        for (const wake of this.inventoryWaiters.get(i.node) ?? []) wake();
        this.inventoryWaiters.delete(i.node);
      }),
    );
    this.samples = this.bus.consumer({
      groupId: this.options.groupId ?? 'spinwise-advisor',
      topics: [TOPICS.samples],
      fromBeginning: this.options.fromBeginning ?? true,
      holdCommits: true,
      // While one partition waits for its analysis to be published and committed, others go on.
      concurrentPartitions: 4,
    });
    const ingest = routeInvalidToDeadLetter(codecs.sample, deadLetters, (s, m) =>
      this.ingestSample(s, m.partition, BigInt(m.offset)),
    );
    await this.samples.start(async (m) => {
      this.metrics.ingestLagMs = Math.max(0, Date.now() - m.timestampMs);
      await ingest(m);
      this.handledNext.set(m.partition, BigInt(m.offset) + 1n);
    });
    this.timer = setInterval(() => void this.tick(), Math.min(1_000, Math.max(50, this.epochMs / 4)));
    this.ready = true;
  }

  private async ingestSample(sample: NodeSample, partition: number, offset: bigint): Promise<void> {
    let s = this.nodes.get(sample.node);
    if (!s) {
      s = {
        window: new NodeWindow(sample.node, this.options.windowMs ?? 300_000),
        partition,
        epoch: this.epochOf(sample),
        fresh: 0,
        freshFromSeq: sample.seq,
        heldFromOffset: null,
        analysedThroughSeq: (await this.marksOf(partition)).get(nodeKey(sample.node)) ?? -1,
        analysedOffset: -1n,
        freshToOffset: -1n,
        lastSampleWallMs: Date.now(),
        firstSampleMs: sample.timestampMs,
        alerts: new AlertTracker(this.options.raiseAfter ?? 2, this.options.clearAfter ?? 2),
        pending: [],
        chain: Promise.resolve(),
      };
      this.nodes.set(sample.node, s);
    }
    const epoch = this.epochOf(sample);
    // The first sample of a later epoch closes the open one (before it enters the window); the
    // analysis goes on in the background while ingestion continues.
    if (epoch > s.epoch && s.fresh > 0) {
      await this.inventoryOrTimeout(sample.node);
      void this.close(s, sample.node);
    }
    s.epoch = Math.max(s.epoch, epoch);
    s.lastSampleWallMs = Date.now();
    if (s.window.add(sample) !== 'accepted') {
      this.metrics.duplicates++;
      return;
    }
    this.metrics.samplesIngested++;
    // Re-read after a handover and already analysed by the previous owner: context, not new work.
    if (sample.seq <= s.analysedThroughSeq) return;
    if (s.fresh === 0 || sample.seq < s.freshFromSeq) s.freshFromSeq = sample.seq;
    s.fresh++;
    s.heldFromOffset ??= offset;
    if (offset > s.freshToOffset) s.freshToOffset = offset;
    this.points.add(samplePoints(sample));
  }

  /**
   * A replica that just took a partition over may read a node's samples before its inventory (a
   * topic of its own): wait for it a little rather than fold two epochs into one window.
   */
  private async inventoryOrTimeout(node: string, timeoutMs = 5_000): Promise<void> {
    if (this.inventories.has(node)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const waiters = this.inventoryWaiters.get(node) ?? [];
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.inventoryWaiters.set(node, waiters);
    });
  }

  /**
   * Closes the node's window: takes its samples now and queues their analysis behind the node's
   * earlier ones. Resolves when this (and every earlier) analysis of the node is published.
   */
  private close(s: NodeState, node: string): Promise<void> {
    const inventory = this.inventories.get(node);
    // Without an inventory the samples stay fresh (held, uncommitted) until one arrives.
    if (s.fresh === 0 || !inventory) return s.chain;
    const window: ClosedWindow = {
      inventory,
      samples: [...s.window.contents()],
      freshFromSeq: s.freshFromSeq,
      freshToOffset: s.freshToOffset,
      heldFromOffset: s.heldFromOffset,
      closedAtWallMs: Date.now(),
    };
    s.fresh = 0;
    s.heldFromOffset = null;
    s.freshToOffset = -1n;
    s.pending.push(window);
    s.chain = s.chain
      .then(() => this.analyse(s, node, window))
      // The window stays pending: its samples are never committed, so nothing is lost.
      .catch((err: Error) => this.options.log?.(`advisor: analysis of ${node} failed: ${err.message}`));
    return s.chain;
  }

  private async analyse(s: NodeState, node: string, window: ClosedWindow): Promise<void> {
    const { result, ms } = await this.analyseWindow(window, s.hint);
    const done = () => s.pending.splice(s.pending.indexOf(window), 1);
    // A rebalance took the node away meanwhile: its new owner analyses these samples, not us.
    if (!this.owns(s.partition)) return void done();
    const analysis: NodeAnalysis = { ...wireAnalysis(result), newFromSeq: window.freshFromSeq };
    await this.publish.add({ key: node, value: codecs.analysis.encode(analysis) });
    // Published: these samples need not be delivered again.
    s.hint = result.hint;
    s.analysis = analysis;
    s.analysedThroughSeq = Math.max(s.analysedThroughSeq, analysis.lastSeq);
    s.analysedOffset = window.freshToOffset;
    done();
    // Commit at once, so that the next owner of this partition starts after this window.
    await this.commit();
    this.metrics.windowsAnalysed++;
    this.metrics.lastAnalysisMs = ms;
    this.metrics.analysisMsTotal += ms;
    this.metrics.lastDelayMs = Date.now() - window.closedAtWallMs;
    this.points.add(analysisPoints(analysis));
    for (const alert of s.alerts.observe(analysis)) {
      if (alert.transition === 'raised') this.metrics.alertsRaised++;
      this.alertHistory.push(alert);
      if (this.alertHistory.length > ALERT_HISTORY) this.alertHistory.shift();
      this.options.onAlert?.(alert);
    }
    this.options.onAnalysis?.(analysis, { ms, cached: result.cached, closedAtWallMs: window.closedAtWallMs });
  }

  /**
   * The cheap part here, the model from the cache when this window's fingerprint was modelled
   * before, else from a worker (alike windows waiting at once share one fit).
   */
  private async analyseWindow(
    window: ClosedWindow,
    hint?: FitHint,
  ): Promise<{ result: NodeAnalysisResult; ms: number }> {
    const start = process.hrtime.bigint();
    const prepared = prepareAnalysis(window.inventory, window.samples, hint);
    const { key } = prepared.request;
    let modelled = this.cache.get(key);
    let fitted = false;
    if (!modelled) {
      let fit = this.fitting.get(key);
      if (!fit) {
        fitted = true;
        fit = this.pool!.model(prepared.request).finally(() => this.fitting.delete(key));
        this.fitting.set(key, fit);
      }
      modelled = await fit;
      this.cache.set(key, modelled);
    }
    // "cached": this window ran no fit of its own (the model was cached or another window's fit served).
    const result = prepared.finish(modelled, !fitted);
    return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  }

  /** The previous owner's resume marks of a partition, fetched once per ownership. */
  private marksOf(partition: number): Promise<Map<string, number>> {
    let marks = this.resumeMarks.get(partition);
    if (!marks) {
      marks = this.samples!.committedMetadata(TOPICS.samples).then(
        (all) => decodeMarks(all.get(partition) ?? null),
        (err: Error) => {
          this.options.log?.(`advisor: no resume marks for partition ${partition}: ${err.message}`);
          return new Map<string, number>();
        },
      );
      this.resumeMarks.set(partition, marks);
    }
    return marks;
  }

  private owns(partition: number): boolean {
    return (this.samples?.assignment()[TOPICS.samples] ?? []).includes(partition);
  }

  /** Partitions of spinwise.samples.v1 this replica owns now. */
  ownedPartitions(): number[] {
    return [...(this.samples?.assignment()[TOPICS.samples] ?? [])];
  }

  /** Forgets nodes of revoked partitions, analyses idle nodes, commits, flushes points. */
  private tick(): Promise<void> {
    this.ticking ??= this.tickOnce().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    if (!this.samples) return;
    try {
      const owned = new Set(this.ownedPartitions());
      for (const [node, s] of this.nodes)
        if (!owned.has(s.partition) && s.pending.length === 0) this.nodes.delete(node);
      for (const p of [...this.handledNext.keys()])
        if (!owned.has(p)) {
          this.handledNext.delete(p);
          this.committed.delete(p);
          this.resumeMarks.delete(p);
        }
      const idleMs = this.options.idleMs ?? 2 * this.epochMs;
      for (const [node, s] of this.nodes)
        if (s.fresh > 0 && Date.now() - s.lastSampleWallMs > idleMs) void this.close(s, node);
      await this.commit();
      await this.points.flush();
    } catch (err) {
      this.options.log?.(`advisor: ${(err as Error).message}`);
    }
  }

  /** Analyses every node with fresh samples now, whatever its epoch (POST /api/analyse). */
  async analyseNow(): Promise<number> {
    let n = 0;
    for (const [node, s] of [...this.nodes].sort(([a], [b]) => a.localeCompare(b)))
      if (s.fresh > 0) {
        await this.close(s, node);
        n++;
      }
    await this.commit();
    return n;
  }

  /**
   * Commits each owned partition up to the oldest sample not yet covered by a published analysis
   * (or everything handled, when nothing waits). Serialized and coalesced: each commit computes its
   * positions when its turn comes, so an older watermark never lands after a newer one.
   */
  private commit(): Promise<void> {
    return this.commits.add(null);
  }

  private async commitNow(): Promise<void> {
    const positions: CommitPosition[] = [];
    const byPartition = new Map<number, [string, NodeState][]>();
    for (const entry of this.nodes) {
      const list = byPartition.get(entry[1].partition);
      if (list) list.push(entry);
      else byPartition.set(entry[1].partition, [entry]);
    }
    for (const [partition, next] of this.handledNext) {
      const mine = byPartition.get(partition) ?? [];
      let watermark = next;
      for (const [, s] of mine)
        for (const held of [s.heldFromOffset, ...s.pending.map((w) => w.heldFromOffset)])
          if (held !== null && held < watermark) watermark = held;
      // Nodes analysed past the watermark would be re-read by the next owner: say how far, newest first.
      const marks = mine
        .filter(([, s]) => s.analysedOffset >= watermark)
        .sort(([, a], [, b]) =>
          b.analysedOffset > a.analysedOffset ? 1 : b.analysedOffset < a.analysedOffset ? -1 : 0,
        )
        .map(([node, s]) => ({ node, seq: s.analysedThroughSeq }));
      const { metadata, dropped } = encodeMarks(marks);
      const last = this.committed.get(partition);
      if (last && last.offset === watermark && last.metadata === metadata) continue;
      this.metrics.resumeMarksDropped += dropped;
      positions.push({ topic: TOPICS.samples, partition, offset: watermark.toString(), metadata });
      this.committed.set(partition, { offset: watermark, metadata });
    }
    if (positions.length > 0) await this.samples!.commit(positions);
  }

  /** Every node this replica knows, with what an operator scans a fleet by (see `NodeSummary`). */
  nodeList(): NodeSummary[] {
    const nowMs = Date.now();
    return [...this.nodes]
      .filter(([name]) => this.inventories.has(name))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => {
        const inventory = this.inventories.get(name)!;
        const samples = s.window.contents();
        const newest = samples[samples.length - 1];
        const spinShares = (s.analysis?.vms ?? []).flatMap((vm) =>
          vm.spinShare === null ? [] : [vm.spinShare],
        );
        return {
          name,
          kernel: inventory.kernel,
          model: s.analysis?.model ?? 'not analysed yet',
          severity: s.analysis?.severity ?? 'ok',
          oversubscription: oversubscriptionOf(inventory),
          pcpus: inventory.pcpus,
          vcpus: inventory.vms.reduce((a, vm) => a + vm.vcpus.length, 0),
          samples: samples.length,
          analysedAtMs: s.analysis?.windowEndMs ?? null,
          spinShare: spinShares.length > 0 ? Math.max(...spinShares) : null,
          vms: inventory.vms.map((vm) => ({
            name: vm.name,
            vcpus: vm.vcpus.length,
            ...(vm.kubevirt?.namespace ? { namespace: vm.kubevirt.namespace } : {}),
            ...(vm.kubevirt?.vmi ? { vmi: vm.kubevirt.vmi } : {}),
          })),
          agent: agentHealth(s.lastSampleWallMs, newest, s.window.gaps, nowMs),
        };
      });
  }

  /** Alerts raised and not cleared, on every node this replica knows, oldest first. */
  activeAlerts(): (ActiveAlert & { node: string })[] {
    return [...this.nodes]
      .flatMap(([node, s]) => s.alerts.active().map((a) => ({ node, ...a })))
      .sort((a, b) => a.sinceMs - b.sinceMs || a.node.localeCompare(b.node));
  }

  node(name: string): {
    inventory: NodeInventory;
    analysis: NodeAnalysis | null;
    activeAlerts: ActiveAlert[];
    firstSampleMs: number;
    gaps: number;
    duplicates: number;
    agent: AgentHealth;
  } | null {
    const s = this.nodes.get(name);
    const inventory = this.inventories.get(name);
    if (!s || !inventory) return null;
    const samples = s.window.contents();
    return {
      inventory,
      analysis: s.analysis ?? null,
      activeAlerts: s.alerts.active(),
      firstSampleMs: s.firstSampleMs,
      gaps: s.window.gaps,
      duplicates: s.window.duplicates,
      agent: agentHealth(s.lastSampleWallMs, samples[samples.length - 1], s.window.gaps, Date.now()),
    };
  }

  /** The worker threads that run the models; the cluster planner uses them too. */
  get models(): ModelPool {
    if (!this.pool) throw new Error('advisor: start() first');
    return this.pool;
  }

  inventoryOf(node: string): NodeInventory | undefined {
    return this.inventories.get(node);
  }

  analyses(): NodeAnalysis[] {
    return [...this.nodes.values()].flatMap((s) => (s.analysis ? [s.analysis] : []));
  }

  alerts(): readonly AlertEvent[] {
    return this.alertHistory;
  }

  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  /** Leaves the group after committing what was analysed; the rest goes to the next owner. */
  async stop(): Promise<void> {
    this.ready = false;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    for (const s of this.nodes.values()) await s.chain;
    await this.commit().catch((err: Error) =>
      this.options.log?.(`advisor: final commit failed: ${err.message}`),
    );
    await this.samples?.stop();
    await this.inventory?.stop();
    await this.points.flush();
    await this.producer?.close();
    await this.pool?.close();
  }
}
