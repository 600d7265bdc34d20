import type { Log } from '../../adapters/log/log';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DeadLetterBatch } from '../../adapters/bus/dead-letter-batch';
import { deadLetterOf, routeInvalidToDeadLetter } from '../../adapters/bus/dead-letter-router';
import type {
  BusMessage,
  BusConsumer,
  ConsumerHealth,
  BusProducer,
  MessageBus,
  OutgoingMessage,
} from '../../adapters/bus/message-bus';
import type { Point, TimeSeriesStore } from '../../adapters/store/time-series-store';
import {
  alertKey,
  codecs,
  defaultTopicSpecs,
  TOPICS,
  type NodeAnalysis,
  type NodeFindings,
  type NodeInventory,
  type NodeSample,
} from '../../telemetry';
import { AlertTracker } from '../alerts/alert-tracker';
import type { AlertEvent, NodeDetail, NodeSummary } from '../http/api-types';
import { agentHealth, agentStatusOf, nodeSummary } from '../fleet/node-summary';
import { observeWindow, wireAnalysis, type WindowObservation } from '../domain/analyze-node';
import { fnv1a } from '../../sim/core/fnv1a';
import { AnalysisRunner } from '../analysis/analysis-runner';
import { NodeInventories } from './node-inventories';
import { findingsChanged } from '../domain/findings-changed';
import { NodeWindow } from '../domain/node-window';
import { windowSample, type WindowSample } from '../domain/window-sample';
import { analysisPoints, samplePoints } from '../store/store-points';
import { GroupSend } from '../../lib/group-send';
import { PointBuffer } from '../store/point-buffer';
import { commitPositions } from './partition-ledger';
import { decodeMarks, nodeKey } from './resume-marks';
import { SeriesCap } from '../store/series-cap';
import { throttledLog } from '../../lib/throttled-log';

export interface AdvisorOptions {
  /** The rolling window per node (default 5 minutes). */
  windowMs?: number;
  /**
   * Each node is analysed once per epoch of this length in the samples' own time (default 60 s):
   * when its first sample of the next epoch arrives, or after `idleMs` without samples.
   */
  analysisIntervalMs?: number;
  /**
   * Each node's epochs start at an offset of their own within the interval (from its name), so
   * that a fleet's windows close spread over the minute and its model work arrives evenly, not
   * all in the seconds after each minute's turn (default: aligned, every node at :00).
   */
  spreadEpochs?: boolean;
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
    cost: { ms: number; cached: boolean; closedAtWallMs: number; freshSeqs: readonly number[] },
  ) => void;
  onAlert?: (alert: AlertEvent) => void;
  /** A window's findings are published (`delayMs` after it closed). */
  onFindings?: (findings: NodeFindings, delayMs: number) => void;
  log?: Log;
  /** This replica's name on what it publishes (default: the host name, a pod's name in Kubernetes). */
  replica?: string;
  /**
   * Samples older than this (default 24 h, the samples topic's retention) or ahead of this
   * replica's clock by more than `maxClockSkewMs` (default 2 min) are dead-lettered: one forged
   * timestamp must not hold a node's window in the future.
   */
  maxSampleAgeMs?: number;
  maxClockSkewMs?: number;
  /** A seq this far from the node's newest (default 100,000: 11 days of 10 s samples) starts a new series. */
  maxSeqJump?: number;
  /** How long a node's samples wait for its inventory before they are dead-lettered (default 60 s). */
  inventoryWaitMs?: number;
  /** Most nodes tracked at once, waiting ones included (default 20,000); beyond, samples are dead-lettered. */
  maxNodes?: number;
  /** A node silent this long, with nothing left to analyse, is forgotten (default 1 h). */
  evictIdleMs?: number;
  /** Most distinct store series one node writes in a day (default 20,000); beyond, new ones are not written. */
  maxSeriesPerNode?: number;
}

/** Samples of a node whose inventory has not arrived: they hold the commit, in arrival order. */
interface Orphans {
  sinceWallMs: number;
  items: { sample: NodeSample; message: BusMessage }[];
  adopting: boolean;
}

/** Most samples one node without an inventory may park (an hour of 10 s samples). */
const MAX_ORPHAN_SAMPLES = 360;

interface NodeState {
  window: NodeWindow;
  partition: number;
  /** The open epoch: the one the newest sample fell in. */
  epoch: number;
  /** The first offset among the samples accepted since the last published analysis (`freshSeqs`). */
  heldFromOffset: bigint | null;
  /** Samples up to this seq were analysed (by this replica or, per the commit's marks, a previous owner). */
  analysedThroughSeq: number;
  /** Analysed seqs above that mark (holes below them wait for stragglers), with their timestamps. */
  analysedAbove: Map<number, number>;
  /** The seqs counted as new since the last analysis (their number says whether there is work). */
  freshSeqs: number[];
  /** Bumped when the node's seq restarts (or jumps): analyses of an older series no longer move the marks. */
  series: number;
  /** Offset of the newest sample the last published analysis covered. */
  analysedOffset: bigint;
  storeSeries: SeriesCap;
  /** The newest window's findings (published as it closed). */
  findings?: NodeFindings;
  /** Offset of the newest fresh sample. */
  freshToOffset: bigint;
  lastSampleWallMs: number;
  /** Timestamp of the first sample this replica saw of the node. */
  firstSampleMs: number;
  analysis?: NodeAnalysis;
  alerts: AlertTracker;
  /** Closed windows on their way to analysis and publication, oldest first; they hold the commit. */
  pending: ClosedWindow[];
  /** The node's analyses run one after another, in order. */
  chain: Promise<void>;
}

/** A window taken at its close: what to analyse, and the samples it newly covers. */
interface ClosedWindow {
  inventory: NodeInventory;
  samples: WindowSample[];
  /** What the window showed, published as findings when it closed. */
  observed: WindowObservation;
  /** Its model work began: a window closing meanwhile is queued after it, not merged into it. */
  started: boolean;
  freshToOffset: bigint;
  heldFromOffset: bigint | null;
  closedAtWallMs: number;
  freshSeqs: number[];
  /** The fresh seqs' timestamps (a coalesced window's older ones may have left the samples). */
  freshAtMs: Map<number, number>;
  series: number;
}

/** Counters exported on /metrics. */
export interface AdvisorMetrics {
  /** Windows being modelled right now. */
  analysesInFlight: number;
  /** Messages of spinwise.samples.v1 handled, valid or not. */
  messagesHandled: number;
  samplesIngested: number;
  inventoriesIngested: number;
  duplicates: number;
  deadLettered: number;
  windowsAnalysed: number;
  /** Windows taken into one still waiting for the models (the node's next prediction covers both). */
  windowsCoalesced: number;
  /** Broker append time to handling of the newest sample. */
  ingestLagMs: number;
  /** Resume marks that did not fit a commit's metadata (their windows may be analysed again after a handover). */
  resumeMarksDropped: number;
  alertsRaised: number;
  storeWriteFailures: number;
  /** Valid samples refused: timestamp out of bounds, no inventory in time, or the node cap. */
  refusedClock: number;
  refusedNoInventory: number;
  refusedNodeCap: number;
  /** Points not written: their node reached its series cap. */
  pointsRefusedSeriesCap: number;
  seriesRestarts: number;
  nodesEvicted: number;
}

/**
 * The advisor's engine, free of Nest. Samples come through a consumer group (replicas share nodes
 * by partition); every replica reads all inventories. A node's samples are analysed once per epoch
 * and published to spinwise.analyses.v1, and only then is the partition's offset committed past
 * them: a replica that stops or dies leaves its unanalysed samples to the next owner, which
 * neither loses a window nor analyses one twice.
 */
export class AdvisorCore {
  private readonly nodes = new Map<string, NodeState>();
  private readonly orphans = new Map<string, Orphans>();
  /** Every node admitted and not forgotten (tracked or waiting): what `maxNodes` caps. */
  private readonly known = new Set<string>();
  private deadLetters: DeadLetterBatch | null = null;
  private readonly capLog: Log;
  private readonly seriesLog: Log;
  /** Per samples partition: the next offset after what was handled, and what was committed. */
  private readonly handledNext = new Map<number, bigint>();
  private readonly committed = new Map<number, { offset: bigint; metadata: string }>();
  /** Per newly owned partition: the previous owner's marks, read once from the commit's metadata. */
  private readonly resumeMarks = new Map<number, Promise<Map<string, number>>>();
  readonly replica: string;
  private readonly points: PointBuffer;
  /** Findings, analyses and alert transitions, grouped into a few produce requests. */
  private readonly publish = new GroupSend<{ topic: string; message: OutgoingMessage }>(async (items) => {
    try {
      const topics = [...new Set(items.map((i) => i.topic))];
      await Promise.all(
        topics.map((t) =>
          this.producer!.send(
            t,
            items.filter((i) => i.topic === t).map((i) => i.message),
          ),
        ),
      );
    } catch (err) {
      // Seen on a real broker: a kafkajs producer that was sending when the broker went away kept
      // failing with the old connection's error after it came back. A fresh one connects anew.
      const broken = this.producer!;
      this.producer = this.bus.producer();
      void broken.close().catch(() => undefined);
      throw err;
    }
  });
  /** Commit requests that arrive while one is in flight share the next (which reads the state then). */
  private readonly commits = new GroupSend<null>(() => this.commitNow());
  private samples: BusConsumer | null = null;
  private inventory: BusConsumer | null = null;
  private producer: BusProducer | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The tick in progress, if any: one at a time, and stop() waits for it. */
  private ticking: Promise<void> | null = null;
  ready = false;
  /** Set once stop() gave up waiting: an analysis finishing later is not published. */
  private stopping = false;
  private commitFailingSinceWallMs: number | null = null;
  readonly metrics: AdvisorMetrics = {
    analysesInFlight: 0,
    messagesHandled: 0,
    samplesIngested: 0,
    inventoriesIngested: 0,
    duplicates: 0,
    deadLettered: 0,
    windowsAnalysed: 0,
    ingestLagMs: 0,
    resumeMarksDropped: 0,
    alertsRaised: 0,
    storeWriteFailures: 0,
    windowsCoalesced: 0,
    refusedClock: 0,
    refusedNoInventory: 0,
    refusedNodeCap: 0,
    pointsRefusedSeriesCap: 0,
    seriesRestarts: 0,
    nodesEvicted: 0,
  };

  constructor(
    private readonly bus: MessageBus,
    private readonly store: TimeSeriesStore,
    private readonly options: AdvisorOptions = {},
    /** The models: worker pool, cache and fits in flight (shared with the cluster planner). */
    readonly runner = new AnalysisRunner(options.analysisWorkers),
    /** Every node's inventory, which this core keeps up to date. */
    readonly inventories = new NodeInventories(),
  ) {
    this.replica = options.replica ?? hostname();
    const log = options.log ?? (() => undefined);
    const storeLog = throttledLog(log, 30_000);
    this.capLog = throttledLog(log, 60_000);
    this.seriesLog = throttledLog(log, 60_000);
    this.points = new PointBuffer(store, (err) => {
      this.metrics.storeWriteFailures++;
      storeLog(`advisor: store write failed (kept for retry): ${err.message}`, 'warn');
    });
  }

  private get epochMs(): number {
    return this.options.analysisIntervalMs ?? 60_000;
  }

  /** The epoch a sample covers: by the middle of its interval, so one ending on a boundary counts before it. */
  private epochOf(sample: NodeSample): number {
    const phase = this.options.spreadEpochs ? fnv1a(sample.node) % this.epochMs : 0;
    return Math.floor((sample.timestampMs - sample.intervalMs / 2 - phase) / this.epochMs);
  }

  async start(): Promise<void> {
    this.runner.start();
    await this.bus.ensureTopics(defaultTopicSpecs());
    await this.store.open();
    this.producer = this.bus.producer();
    const deadLetters = new DeadLetterBatch(this.producer, (n) => (this.metrics.deadLettered += n));
    this.deadLetters = deadLetters;
    // Every replica keeps every node's inventory (a compacted topic: one message per node), read
    // outside the shared group so that a node's samples and inventory never land on different replicas.
    this.inventory = this.bus.consumer({
      groupId: `spinwise-advisor-inventory-${randomUUID()}`,
      topics: [TOPICS.inventory],
      fromBeginning: true,
      ephemeral: true,
      afterBatch: () => deadLetters.flush(),
    });
    const readInventory = routeInvalidToDeadLetter(codecs.inventory, deadLetters, async (i) => {
      this.metrics.inventoriesIngested++;
      this.inventories.set(i);
      void this.adopt(i.node);
    });
    // A tombstone: the node left the cluster (NodeReaper); its inventory is forgotten.
    await this.inventory.start(async (m) =>
      m.value.length === 0 && m.key !== null ? this.inventories.delete(m.key) : readInventory(m),
    );
    this.samples = this.bus.consumer({
      groupId: this.options.groupId ?? 'spinwise-advisor',
      topics: [TOPICS.samples],
      fromBeginning: this.options.fromBeginning ?? true,
      holdCommits: true,
      // While one partition waits for its analysis to be published and committed, others go on.
      concurrentPartitions: 4,
      afterBatch: () => deadLetters.flush(),
    });
    const ingest = routeInvalidToDeadLetter(codecs.sample, deadLetters, (s, m) => this.admit(s, m));
    await this.samples.start(async (m) => {
      this.metrics.ingestLagMs = Math.max(0, Date.now() - m.timestampMs);
      await ingest(m);
      this.metrics.messagesHandled++;
      this.handledNext.set(m.partition, BigInt(m.offset) + 1n);
    });
    this.timer = setInterval(() => void this.tick(), Math.min(1_000, Math.max(50, this.epochMs / 4)));
    this.ready = true;
  }

  /** Refuses what would mislead the node's window; parks samples until their node's inventory arrives. */
  private async admit(sample: NodeSample, message: BusMessage): Promise<void> {
    const nowMs = Date.now();
    const ageMs = nowMs - sample.timestampMs;
    if (
      ageMs > (this.options.maxSampleAgeMs ?? 86_400_000) ||
      -ageMs > (this.options.maxClockSkewMs ?? 120_000)
    ) {
      this.metrics.refusedClock++;
      return this.refuse(
        [message],
        `timestampMs: ${new Date(sample.timestampMs).toISOString()} is outside what this advisor accepts (${ageMs > 0 ? 'older than the samples retention' : 'ahead of its clock by more than the allowed skew'}; its clock: ${new Date(nowMs).toISOString()})`,
      );
    }
    const node = sample.node;
    // Counted synchronously: samples of several partitions are admitted concurrently.
    if (!this.known.has(node) && this.known.size >= this.maxNodes) {
      this.metrics.refusedNodeCap++;
      this.capLog(
        `advisor: tracking ${this.maxNodes} nodes already (the cap); samples of new nodes are dead-lettered`,
        'warn',
      );
      return this.refuse([message], `node: ${node} is beyond the ${this.maxNodes} nodes this advisor tracks`);
    }
    this.known.add(node);
    const parked = this.orphans.get(node);
    if (parked || !this.inventories.has(node)) {
      // A node's state exists only with its inventory; until then (or while parked ones are taken
      // in) its samples wait here, in order, holding the commit.
      const o = parked ?? { sinceWallMs: nowMs, items: [], adopting: false };
      if (o.items.length >= MAX_ORPHAN_SAMPLES) {
        this.metrics.refusedNoInventory++;
        return this.refuse(
          [message],
          `node: ${node} has no inventory and ${MAX_ORPHAN_SAMPLES} samples wait already`,
        );
      }
      o.items.push({ sample, message });
      this.orphans.set(node, o);
      if (this.inventories.has(node)) await this.adopt(node);
      return;
    }
    await this.ingestSample(sample, message.partition, BigInt(message.offset));
  }

  private get maxNodes(): number {
    return this.options.maxNodes ?? 20_000;
  }

  private async refuse(messages: BusMessage[], reason: string): Promise<void> {
    for (const m of messages) await this.deadLetters!.add(deadLetterOf(m, reason));
  }

  /** The node's inventory is here: its parked samples go in, in order, then the next ones directly. */
  private async adopt(node: string): Promise<void> {
    const o = this.orphans.get(node);
    if (!o || o.adopting) return;
    o.adopting = true;
    // Each stays parked (holding the commit) until ingested; arrivals meanwhile queue behind.
    while (o.items.length > 0) {
      const { sample, message } = o.items[0]!;
      await this.ingestSample(sample, message.partition, BigInt(message.offset));
      o.items.shift();
    }
    this.orphans.delete(node);
  }

  private forget(node: string): void {
    this.nodes.delete(node);
    this.orphans.delete(node);
    this.known.delete(node);
  }

  /** Parked samples whose inventory did not come in time: dead-lettered, so the commit moves on. */
  private async expireOrphans(): Promise<void> {
    const waitMs = this.options.inventoryWaitMs ?? 60_000;
    for (const [node, o] of this.orphans) {
      if (o.adopting || Date.now() - o.sinceWallMs <= waitMs) continue;
      this.forget(node);
      this.metrics.refusedNoInventory += o.items.length;
      this.options.log?.(
        `advisor: node ${node} sent ${o.items.length} samples but no inventory in ${waitMs / 1000} s; dead-lettered`,
        'warn',
      );
      await this.refuse(
        o.items.map((x) => x.message),
        `node: no inventory of ${node} arrived within ${waitMs / 1000} s of its first sample`,
      );
    }
  }

  private async ingestSample(sample: NodeSample, partition: number, offset: bigint): Promise<void> {
    let s = this.nodes.get(sample.node);
    if (!s) {
      s = {
        window: new NodeWindow(sample.node, this.options.windowMs ?? 300_000),
        partition,
        epoch: this.epochOf(sample),
        heldFromOffset: null,
        analysedThroughSeq: (await this.marksOf(partition)).get(nodeKey(sample.node)) ?? -1,
        analysedAbove: new Map(),
        freshSeqs: [],
        series: 0,
        analysedOffset: -1n,
        storeSeries: new SeriesCap(this.options.maxSeriesPerNode ?? 20_000, Date.now()),
        freshToOffset: -1n,
        lastSampleWallMs: Date.now(),
        firstSampleMs: sample.timestampMs,
        alerts: new AlertTracker(this.options.raiseAfter ?? 2, this.options.clearAfter ?? 2),
        pending: [],
        chain: Promise.resolve(),
      };
      this.nodes.set(sample.node, s);
    }
    const newest = s.window.newestSeq();
    if (newest >= 0 && Math.abs(sample.seq - newest) > (this.options.maxSeqJump ?? 100_000)) {
      // An agent that lost its state numbers from 0 again; a forged seq jumps far ahead. Either
      // way a new series: what is fresh is analysed, and no mark of the old series hides the new.
      if (s.freshSeqs.length > 0) void this.close(s, sample.node);
      s.window = new NodeWindow(sample.node, this.options.windowMs ?? 300_000);
      s.series++;
      s.analysedThroughSeq = -1;
      s.analysedAbove.clear();
      s.epoch = this.epochOf(sample);
      this.metrics.seriesRestarts++;
    }
    const epoch = this.epochOf(sample);
    // The first sample of a later epoch closes the open one (before it enters the window); the
    // analysis goes on in the background while ingestion continues.
    if (epoch > s.epoch && s.freshSeqs.length > 0) void this.close(s, sample.node);
    s.epoch = Math.max(s.epoch, epoch);
    s.lastSampleWallMs = Date.now();
    if (s.window.add(windowSample(sample)) !== 'accepted') {
      this.metrics.duplicates++;
      return;
    }
    this.metrics.samplesIngested++;
    // Re-read after a handover and already analysed by the previous owner: context, not new work.
    if (sample.seq <= s.analysedThroughSeq || s.analysedAbove.has(sample.seq)) return;
    s.freshSeqs.push(sample.seq);
    s.heldFromOffset ??= offset;
    if (offset > s.freshToOffset) s.freshToOffset = offset;
    this.bufferPoints(s, sample.node, samplePoints(sample));
  }

  /** Into the store's buffer, within the node's series cap. */
  private bufferPoints(s: NodeState, node: string, points: Point[]): void {
    const { kept, refused } = s.storeSeries.filter(points, Date.now());
    if (refused > 0) {
      this.metrics.pointsRefusedSeriesCap += refused;
      this.seriesLog(
        `advisor: node ${node} reached its cap of ${this.options.maxSeriesPerNode ?? 20_000} store series; points of new series are not written`,
        'warn',
      );
    }
    this.points.add(kept);
  }

  /**
   * Closes the node's window: takes its samples now and queues their analysis behind the node's
   * earlier ones. Resolves when this (and every earlier) analysis of the node is published.
   */
  private close(s: NodeState, node: string): Promise<void> {
    const inventory = this.inventories.get(node);
    // Without an inventory the samples stay fresh (held, uncommitted) until one arrives.
    if (s.freshSeqs.length === 0 || !inventory) return s.chain;
    const samples = [...s.window.contents()];
    const fresh = new Set(s.freshSeqs);
    const freshAtMs = new Map(samples.filter((x) => fresh.has(x.seq)).map((x) => [x.seq, x.timestampMs]));
    const observed = observeWindow(inventory, samples);
    const closedAtWallMs = Date.now();
    this.publishFindings(s, node, inventory, samples, observed, closedAtWallMs);
    // When the model work is behind, a window still waiting for it takes this one in: the node's
    // next prediction covers both (each sample still new in exactly one analysis), so the queue
    // stays one window per node however far behind the models are.
    const waiting = s.pending.find((w) => !w.started && w.series === s.series);
    if (waiting) {
      waiting.samples = samples;
      waiting.observed = observed;
      waiting.inventory = inventory;
      waiting.freshSeqs = [...waiting.freshSeqs, ...s.freshSeqs];
      for (const [seq, atMs] of freshAtMs) waiting.freshAtMs.set(seq, atMs);
      waiting.freshToOffset = s.freshToOffset;
      waiting.closedAtWallMs = closedAtWallMs;
      this.metrics.windowsCoalesced++;
    } else {
      const window: ClosedWindow = {
        inventory,
        samples,
        observed,
        started: false,
        freshToOffset: s.freshToOffset,
        heldFromOffset: s.heldFromOffset,
        closedAtWallMs,
        freshSeqs: s.freshSeqs,
        freshAtMs,
        series: s.series,
      };
      s.pending.push(window);
      this.queue(s, node, window);
    }
    s.freshSeqs = [];
    s.heldFromOffset = null;
    s.freshToOffset = -1n;
    return s.chain;
  }

  /**
   * The window's findings, at once: on their topic for every replica's fleet view, and into the
   * node's alerts (whose top recommendation is the newest prediction's). No model is waited for.
   */
  private publishFindings(
    s: NodeState,
    node: string,
    inventory: NodeInventory,
    samples: WindowSample[],
    observed: WindowObservation,
    closedAtWallMs: number,
  ): void {
    const first = samples[0]!;
    const newest = samples[samples.length - 1]!;
    const findings: NodeFindings = {
      schema: 'spinwise.findings.v1',
      node,
      windowStartMs: first.timestampMs - first.intervalMs,
      windowEndMs: newest.timestampMs,
      samples: samples.length,
      kernel: inventory.kernel,
      severity: observed.severity,
      oversubscription: observed.oversubscription,
      pcpus: inventory.pcpus,
      vms: observed.vms,
      findings: observed.findings,
      replica: this.replica,
      agent: agentStatusOf(newest, s.window.gaps),
    };
    s.findings = findings;
    const alerts = s.alerts.observe(findings, s.analysis?.recommendations ?? []);
    for (const alert of alerts) {
      if (alert.transition === 'raised') this.metrics.alertsRaised++;
      this.options.onAlert?.(alert);
    }
    // Every replica's fleet view (and so its alert history) follows the transitions on their topic.
    const messages = [
      { topic: TOPICS.findings, message: { key: node, value: codecs.findings.encode(findings) } },
      ...alerts.map((a) => {
        const message = { schema: 'spinwise.alert.v1' as const, ...a, replica: this.replica };
        return {
          topic: TOPICS.alerts,
          message: { key: alertKey(message), value: codecs.alert.encode(message) },
        };
      }),
    ];
    void Promise.all(messages.map((m) => this.publish.add(m))).then(
      () => {
        this.options.onFindings?.(findings, Date.now() - closedAtWallMs);
      },
      (err: Error) =>
        this.options.log?.(`advisor: publishing the findings of ${node} failed: ${err.message}`, 'warn'),
    );
  }

  /**
   * Runs the window's analysis after the node's earlier ones. One that fails (the broker away
   * while publishing) stays pending — its samples are never committed, so nothing is lost — and
   * is tried again a little later, as long as this replica still owns the node.
   */
  private queue(s: NodeState, node: string, window: ClosedWindow): void {
    s.chain = s.chain
      .then(() => this.analyse(s, node, window))
      .catch((err: Error) => {
        this.options.log?.(`advisor: analysis of ${node} failed (retried in 5 s): ${err.message}`, 'warn');
        setTimeout(() => {
          if (!this.stopping && s.pending.includes(window) && this.nodes.get(node) === s)
            this.queue(s, node, window);
        }, 5_000).unref();
      });
  }

  private async analyse(s: NodeState, node: string, window: ClosedWindow): Promise<void> {
    // Until a worker takes it up, a window closing meanwhile merges into this one (see `close`).
    let analysed;
    let inFlight = false;
    try {
      analysed = await this.runner.run(window, {
        urgent: () => findingsChanged(s.analysis, window.observed),
        started: () => {
          window.started = inFlight = true;
          this.metrics.analysesInFlight++;
        },
      });
    } finally {
      if (inFlight) this.metrics.analysesInFlight--;
    }
    const { result, ms } = analysed;
    const done = () => s.pending.splice(s.pending.indexOf(window), 1);
    if (this.stopping) return;
    // A rebalance took the node away meanwhile: its new owner analyses these samples, not us.
    if (!this.owns(s.partition)) return void done();
    const newest = window.samples[window.samples.length - 1]!;
    const analysis: NodeAnalysis = {
      ...wireAnalysis(result),
      newFromSeq: Math.min(...window.freshSeqs),
      replica: this.replica,
      agent: agentStatusOf(newest, s.window.gaps),
    };
    await this.publish.add({
      topic: TOPICS.analyses,
      message: { key: node, value: codecs.analysis.encode(analysis) },
    });
    // Published: these samples need not be delivered again.
    // A retried window may be published after a newer one: the node shows its newest.
    if (!s.analysis || analysis.windowEndMs >= s.analysis.windowEndMs) s.analysis = analysis;
    if (window.series === s.series) this.markAnalysed(s, window.freshAtMs);
    s.analysedOffset = window.freshToOffset;
    done();
    // Commit at once, so that the next owner of this partition starts after this window. The
    // analysis is published either way: a commit that fails (broker away, a rebalance) is retried
    // by the next tick, and must not keep its alerts and reports from happening.
    await this.commit().catch((err: Error) =>
      this.options.log?.(`advisor: commit after analysing ${node} failed (retried): ${err.message}`, 'warn'),
    );
    this.metrics.windowsAnalysed++;
    this.bufferPoints(s, node, analysisPoints(analysis));
    this.options.onAnalysis?.(analysis, {
      ms,
      cached: result.cached,
      closedAtWallMs: window.closedAtWallMs,
      freshSeqs: window.freshSeqs,
    });
  }

  /**
   * Records seqs as analysed, and only those: a straggler below the newest analysed seq, never
   * seen before, is still new work. The contiguous mark passes a hole only once the sample above
   * it is too old for the window: the hole's own sample, older still, would be refused as late.
   */
  private markAnalysed(s: NodeState, freshAtMs: ReadonlyMap<number, number>): void {
    for (const [seq, atMs] of freshAtMs) if (seq > s.analysedThroughSeq) s.analysedAbove.set(seq, atMs);
    while (s.analysedAbove.size > 0) {
      const next = s.analysedThroughSeq + 1;
      if (s.analysedAbove.has(next)) {
        s.analysedAbove.delete(next);
        s.analysedThroughSeq = next;
        continue;
      }
      const lowest = Math.min(...s.analysedAbove.keys());
      if (!s.window.isLate(s.analysedAbove.get(lowest)!)) break;
      s.analysedAbove.delete(lowest);
      s.analysedThroughSeq = lowest;
    }
  }

  /** The previous owner's resume marks of a partition, fetched once per ownership. */
  private marksOf(partition: number): Promise<Map<string, number>> {
    let marks = this.resumeMarks.get(partition);
    if (!marks) {
      marks = this.samples!.committedMetadata(TOPICS.samples).then(
        (all) => decodeMarks(all.get(partition) ?? null),
        (err: Error) => {
          this.options.log?.(`advisor: no resume marks for partition ${partition}: ${err.message}`, 'warn');
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
        if (!owned.has(s.partition) && s.pending.length === 0) this.forget(node);
      for (const [node, o] of this.orphans)
        if (!o.adopting && !o.items.some((x) => owned.has(x.message.partition))) this.forget(node);
      for (const p of [...this.handledNext.keys()])
        if (!owned.has(p)) {
          this.handledNext.delete(p);
          this.committed.delete(p);
          this.resumeMarks.delete(p);
        }
      const idleMs = this.options.idleMs ?? 2 * this.epochMs;
      for (const [node, s] of this.nodes)
        if (s.freshSeqs.length > 0 && Date.now() - s.lastSampleWallMs > idleMs) void this.close(s, node);
      const evictMs = this.options.evictIdleMs ?? 3_600_000;
      for (const [node, s] of this.nodes)
        if (s.freshSeqs.length === 0 && s.pending.length === 0 && Date.now() - s.lastSampleWallMs > evictMs) {
          this.forget(node);
          this.metrics.nodesEvicted++;
        }
      await this.expireOrphans();
      await this.commit();
      await this.points.flush();
    } catch (err) {
      this.options.log?.(`advisor: ${(err as Error).message}`, 'error');
    }
  }

  /**
   * Analyses every node with fresh samples now, whatever its epoch (POST /api/analyse), and says
   * which it analysed and which it skipped, and why.
   */
  async analyseNow(): Promise<{ analysed: string[]; skipped: { node: string; reason: string }[] }> {
    const analysed: string[] = [];
    const skipped: { node: string; reason: string }[] = [];
    for (const [node, s] of [...this.nodes].sort(([a], [b]) => a.localeCompare(b)))
      if (s.freshSeqs.length > 0) {
        await this.close(s, node);
        analysed.push(node);
      } else skipped.push({ node, reason: 'no new samples since its last analysis' });
    for (const [node, o] of this.orphans)
      skipped.push({ node, reason: `no inventory yet (${o.items.length} samples wait for it)` });
    await this.commit();
    return { analysed, skipped };
  }

  /**
   * Commits each owned partition up to the oldest sample not yet covered by a published analysis
   * (or everything handled, when nothing waits). Serialized and coalesced: each commit computes its
   * positions when its turn comes, so an older watermark never lands after a newer one.
   */
  private commit(): Promise<void> {
    return this.commits.add(null).then(
      () => void (this.commitFailingSinceWallMs = null),
      (err: Error) => {
        this.commitFailingSinceWallMs ??= Date.now();
        throw err;
      },
    );
  }

  private async commitNow(): Promise<void> {
    const { positions, marksDropped } = commitPositions(TOPICS.samples, {
      handledNext: this.handledNext,
      nodes: [...this.nodes].map(([node, s]) => ({
        node,
        partition: s.partition,
        heldFrom: [s.heldFromOffset, ...s.pending.map((w) => w.heldFromOffset)],
        analysedOffset: s.analysedOffset,
        analysedThroughSeq: s.analysedThroughSeq,
      })),
      parked: [...this.orphans.values()].flatMap((o) =>
        o.items.map(({ message }) => ({ partition: message.partition, offset: BigInt(message.offset) })),
      ),
      committed: this.committed,
    });
    this.metrics.resumeMarksDropped += marksDropped;
    if (positions.length === 0) return;
    // The refusals among the messages below the watermarks are durable before their offsets are.
    await this.deadLetters!.flush();
    await this.samples!.commit(positions);
    // Only now: a failed commit is tried again even if the watermark does not move.
    for (const p of positions)
      this.committed.set(p.partition, { offset: BigInt(p.offset), metadata: p.metadata ?? '' });
  }

  /** Names of the nodes this replica owns (with their inventory). */
  ownedNodeNames(): string[] {
    return [...this.nodes.keys()].filter((name) => this.inventories.has(name));
  }

  /** The nodes this replica owns, with what an operator scans a fleet by (see `NodeSummary`). */
  ownedNodes(): NodeSummary[] {
    const nowMs = Date.now();
    return [...this.nodes].flatMap(([name, s]) => {
      const inventory = this.inventories.get(name);
      if (!inventory) return [];
      const samples = s.window.contents();
      const agent = agentHealth(s.lastSampleWallMs, samples[samples.length - 1], s.window.gaps, nowMs);
      return [
        nodeSummary(inventory, s.analysis ?? null, s.findings ?? null, samples.length, agent, this.replica),
      ];
    });
  }

  /** A node this replica owns, with its live window. */
  ownedNode(name: string): NodeDetail | null {
    const s = this.nodes.get(name);
    const inventory = this.inventories.get(name);
    if (!s || !inventory) return null;
    const samples = s.window.contents();
    return {
      inventory,
      analysis: s.analysis ?? null,
      findings: s.findings ?? null,
      owner: this.replica,
      firstSampleMs: s.firstSampleMs,
      gaps: s.window.gaps,
      duplicates: s.window.duplicates,
      agent: agentHealth(s.lastSampleWallMs, samples[samples.length - 1], s.window.gaps, Date.now()),
    };
  }

  /** The samples consumer's health, or null before start. */
  consumerHealth(): ConsumerHealth | null {
    return this.samples?.health() ?? null;
  }

  /**
   * How each part is, with what is wrong (an empty list is a healthy part): the advisor started;
   * Kafka (in the consumer group and fetching, and committing); the store keeping up (failing
   * writes are buffered; failing with the buffer full is not keeping up). Liveness (/healthz) is
   * separate and only says the process runs.
   */
  readinessByPart(nowMs = Date.now()): { advisor: string[]; kafka: string[]; store: string[] } {
    if (!this.ready || !this.samples) return { advisor: ['not started (or stopping)'], kafka: [], store: [] };
    const kafka: string[] = [];
    const h = this.samples.health();
    if (h.crashed) kafka.push(`the Kafka consumer crashed (being replaced): ${h.crashed}`);
    else if (!h.member) kafka.push('not a member of the consumer group (joining or rebalancing)');
    if (h.lastFetchWallMs === null || nowMs - h.lastFetchWallMs > 30_000)
      kafka.push(
        `no fetch from the broker for ${h.lastFetchWallMs === null ? 'ever' : `${Math.round((nowMs - h.lastFetchWallMs) / 1000)} s`}`,
      );
    if (this.commitFailingSinceWallMs !== null && nowMs - this.commitFailingSinceWallMs > 30_000)
      kafka.push(
        `offset commits failing for ${Math.round((nowMs - this.commitFailingSinceWallMs) / 1000)} s`,
      );
    const store: string[] = [];
    const since = this.points.failingSinceWallMs;
    if (since !== null && this.points.full)
      store.push(
        `the store has failed for ${Math.round((nowMs - since) / 1000)} s and its buffer is full (${this.points.dropped} points dropped)`,
      );
    return { advisor: [], kafka, store };
  }

  /**
   * Ready (in the Service) while started: the fleet view, dashboard and API still serve what they
   * hold when Kafka or the store is away, which is when an operator most needs them. Those
   * outages make it *degraded* — in /readyz's details, `spinwise_degraded` and an alert.
   */
  readiness(nowMs = Date.now()): { ready: boolean; degraded: string[] } {
    const parts = this.readinessByPart(nowMs);
    return { ready: parts.advisor.length === 0, degraded: [...parts.kafka, ...parts.store] };
  }

  get pointsDropped(): number {
    return this.points.dropped;
  }

  /** Windows waiting for the models or being modelled. */
  get analysisQueue(): number {
    let n = 0;
    for (const s of this.nodes.values()) n += s.pending.length;
    return n;
  }

  /** Points waiting for the store. */
  get pointsPending(): number {
    return this.points.size;
  }

  inventoryOf(node: string): NodeInventory | undefined {
    return this.inventories.get(node);
  }

  /** Leaves the group after committing what was analysed; the rest goes to the next owner. */
  async stop(waitForAnalysesMs = 5_000): Promise<void> {
    this.ready = false;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    // Analyses that finish in time are published and committed; the others are abandoned, unpublished
    // and uncommitted, so the partition's next owner analyses those samples: none lost, none twice.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.nodes.values()].map((s) => s.chain)),
      new Promise((r) => (timer = setTimeout(r, waitForAnalysesMs))),
    ]);
    clearTimeout(timer);
    this.stopping = true;
    await this.commit().catch((err: Error) =>
      this.options.log?.(`advisor: final commit failed: ${err.message}`, 'warn'),
    );
    await this.samples?.stop();
    await this.inventory?.stop();
    await this.points.flush();
    await this.producer?.close();
    await this.runner.close();
  }
}
