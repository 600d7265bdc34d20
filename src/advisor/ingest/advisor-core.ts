import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Log } from '../../adapters/log/log';
import { DeadLetterBatch } from '../../adapters/bus/dead-letter-batch';
import { deadLetterOf, routeInvalidToDeadLetter } from '../../adapters/bus/dead-letter-router';
import type { BusMessage, BusConsumer, ConsumerHealth, MessageBus } from '../../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import { codecs, defaultTopicSpecs, TOPICS, type NodeInventory, type NodeSample } from '../../telemetry';
import { OwnedNodeViews } from '../fleet/owned-node-views';
import type { NodeDetail, NodeSummary } from '../http/api-types';
import { observeWindow } from '../domain/analyze-node';
import { AnalysisRunner } from '../analysis/analysis-runner';
import { ResultPublisher } from '../outputs/result-publisher';
import { ResultSinks, type ResultSink } from '../outputs/result-sink';
import { ADVISOR_SETTINGS, MESSAGE_BUS, RESULT_SINKS, TIME_SERIES_STORE } from '../app/tokens';
import { samplePoints } from '../store/store-points';
import { NodePoints } from '../store/node-points';
import { throttledLog } from '../../lib/throttled-log';
import {
  newAdvisorMetrics,
  resolveAdvisorOptions,
  type AdvisorMetrics,
  type AdvisorOptions,
  type ResolvedAdvisorOptions,
} from './advisor-options';
import { NodeInventories } from './node-inventories';
import { NodeTracker } from './node-tracker';
import { WindowAnalysis, type WindowDetail } from './window-analysis';
import { OffsetCommitter } from './offset-committer';
import { readinessByPart, type ReadinessByPart } from './readiness';
import { nodeKey } from './resume-marks';
import { SampleAdmission } from './sample-admission';
import { WindowQueue } from './window-queue';

/**
 * The advisor's engine (a Nest service, constructed directly as well): it wires the ingest's
 * parts — admission, node tracker, window queue, offset committer — to the bus, the models and the
 * result sinks. Replicas share nodes by partition of the samples' consumer group; each reads
 * every inventory. A node's samples are analysed once per epoch and published, and only then is
 * the partition committed past them: a replica that stops or dies leaves its unanalysed samples
 * to the next owner, which neither loses a window nor analyses one twice.
 */
@Injectable()
export class AdvisorCore {
  private readonly tracker: NodeTracker<WindowDetail>;
  private readonly owned: OwnedNodeViews;
  private readonly admission: SampleAdmission;
  private readonly queue: WindowQueue;
  private readonly windows: WindowAnalysis;
  private readonly committer: OffsetCommitter;
  private deadLetters: DeadLetterBatch | null = null;
  private readonly log: Log;
  private readonly capLog: Log;
  readonly replica: string;
  private readonly settings: ResolvedAdvisorOptions;
  private readonly points: NodePoints;
  private samples: BusConsumer | null = null;
  private inventory: BusConsumer | null = null;
  private publisher: ResultPublisher | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The tick in progress, if any: one at a time, and stop() waits for it. */
  private ticking: Promise<void> | null = null;
  ready = false;
  /** Set once stop() gave up waiting: an analysis finishing later is not published. */
  private stopping = false;
  readonly metrics: AdvisorMetrics = newAdvisorMetrics();

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TIME_SERIES_STORE) private readonly store: TimeSeriesStore,
    @Inject(ADVISOR_SETTINGS) options: AdvisorOptions = {},
    /** Where results go besides Kafka (metrics, live events, Slack, the cluster, a test). */
    @Inject(RESULT_SINKS) sinks: readonly ResultSink[] = [],
    /** The models: worker pool, cache and fits in flight (shared with the cluster planner). */
    readonly runner: AnalysisRunner = new AnalysisRunner(options.analysisWorkers),
    /** Every node's inventory, which this core keeps up to date. */
    readonly inventories: NodeInventories = new NodeInventories(),
  ) {
    const o = resolveAdvisorOptions(options);
    this.settings = o;
    this.replica = o.replica;
    this.log = o.log;
    this.capLog = throttledLog(this.log, 60_000);
    this.points = new NodePoints(store, o.maxSeriesPerNode, this.metrics, this.log);
    this.tracker = new NodeTracker(
      {
        windowMs: o.windowMs,
        epochMs: o.analysisIntervalMs,
        spreadEpochs: o.spreadEpochs,
        maxSeqJump: o.maxSeqJump,
      },
      (node, samples) => {
        // Without an inventory the samples stay fresh (held, uncommitted) until one arrives.
        const inventory = this.inventories.get(node);
        return inventory ? { inventory, observed: observeWindow(inventory, samples) } : null;
      },
    );
    this.owned = new OwnedNodeViews(this.tracker, this.inventories, this.replica, {
      raiseAfter: o.raiseAfter,
      clearAfter: o.clearAfter,
    });
    this.admission = new SampleAdmission({
      maxSampleAgeMs: o.maxSampleAgeMs,
      maxClockSkewMs: o.maxClockSkewMs,
      maxNodes: o.maxNodes,
    });
    this.queue = new WindowQueue((node, err) =>
      this.log(`advisor: analysis of ${node} failed (retried in 5 s): ${err.message}`, 'warn'),
    );
    this.committer = new OffsetCommitter(TOPICS.samples, {
      consumer: () => this.samples!,
      held: () => ({ nodes: this.tracker.ledgerNodes(), parked: this.admission.parkedOffsets() }),
      // The refusals among the messages below the watermarks are durable before their offsets are.
      beforeCommit: () => this.deadLetters!.flush(),
      marksDropped: (n) => (this.metrics.resumeMarksDropped += n),
      warn: (message) => this.log(message, 'warn'),
    });
    this.windows = new WindowAnalysis({
      tracker: this.tracker,
      queue: this.queue,
      runner: this.runner,
      owned: this.owned,
      points: this.points,
      committer: this.committer,
      publisher: () => this.publisher!,
      metrics: this.metrics,
      sinks: new ResultSinks(sinks, this.log),
      log: this.log,
      replica: this.replica,
      owns: (partition) => this.owns(partition),
      stopping: () => this.stopping,
    });
  }

  async start(): Promise<void> {
    this.runner.start();
    await this.bus.ensureTopics(defaultTopicSpecs());
    await this.store.open();
    const publisher = new ResultPublisher(this.bus);
    this.publisher = publisher;
    // Through the publisher: a producer it replaced after a failure is closed, and so useless.
    const deadLetters = new DeadLetterBatch(publisher, (n) => (this.metrics.deadLettered += n));
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
      groupId: this.settings.groupId,
      topics: [TOPICS.samples],
      fromBeginning: this.settings.fromBeginning,
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
      this.committer.handled(m.partition, BigInt(m.offset));
    });
    this.timer = setInterval(
      () => void this.tick(),
      Math.min(1_000, Math.max(50, this.settings.analysisIntervalMs / 4)),
    );
    this.ready = true;
  }

  private async admit(sample: NodeSample, message: BusMessage): Promise<void> {
    const node = sample.node;
    const hasInventory = this.inventories.has(node);
    const admission = this.admission.decide(sample, message, Date.now(), hasInventory);
    switch (admission.kind) {
      case 'admit':
        return this.ingestSample(sample, message);
      case 'park':
        if (hasInventory) await this.adopt(node);
        return;
      case 'refuse':
        if (admission.cause === 'clock') this.metrics.refusedClock++;
        else if (admission.cause === 'noInventory') this.metrics.refusedNoInventory++;
        else {
          this.metrics.refusedNodeCap++;
          this.capLog(
            `advisor: tracking ${this.settings.maxNodes} nodes already (the cap); samples of new nodes are dead-lettered`,
            'warn',
          );
        }
        return this.refuse([message], admission.reason);
    }
  }

  private async refuse(messages: BusMessage[], reason: string): Promise<void> {
    for (const m of messages) await this.deadLetters!.add(deadLetterOf(m, reason));
  }

  /** The node's inventory is here: its parked samples go in, in order, then the next ones directly. */
  private adopt(node: string): Promise<void> {
    return this.admission.adopt(node, ({ sample, message }) => this.ingestSample(sample, message));
  }

  private forget(node: string): void {
    this.tracker.forget(node);
    this.owned.forget(node);
    this.points.forget(node);
    this.queue.forget(node);
    this.admission.forget(node);
  }

  /** Parked samples whose inventory did not come in time: dead-lettered, so the commit moves on. */
  private async expireOrphans(): Promise<void> {
    const waitMs = this.settings.inventoryWaitMs;
    for (const { node, items } of this.admission.expired(Date.now(), waitMs)) {
      this.forget(node);
      this.metrics.refusedNoInventory += items.length;
      this.log(
        `advisor: node ${node} sent ${items.length} samples but no inventory in ${waitMs / 1000} s; dead-lettered`,
        'warn',
      );
      await this.refuse(
        items.map((x) => x.message),
        `node: no inventory of ${node} arrived within ${waitMs / 1000} s of its first sample`,
      );
    }
  }

  private async ingestSample(sample: NodeSample, message: BusMessage): Promise<void> {
    const node = sample.node;
    const resumeSeq = this.tracker.has(node)
      ? -1
      : ((await this.committer.marksOf(message.partition)).get(nodeKey(node)) ?? -1);
    const accepted = this.tracker.accept(
      sample,
      message.partition,
      BigInt(message.offset),
      Date.now(),
      resumeSeq,
    );
    if (accepted.restarted) this.metrics.seriesRestarts++;
    // The analyses go on in the background while ingestion continues.
    for (const c of accepted.closes) this.windows.closed(node, c);
    if (accepted.outcome === 'duplicate') {
      this.metrics.duplicates++;
      return;
    }
    this.metrics.samplesIngested++;
    if (accepted.outcome === 'fresh') this.points.add(node, samplePoints(sample));
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
      const nowMs = Date.now();
      for (const node of this.tracker.revoked(owned)) this.forget(node);
      for (const node of this.admission.revoked(owned)) this.forget(node);
      this.committer.keepOnly(owned);
      for (const node of this.tracker.idle(nowMs, this.settings.idleMs)) void this.windows.close(node);
      for (const node of this.tracker.evictable(nowMs, this.settings.evictIdleMs)) {
        this.forget(node);
        this.metrics.nodesEvicted++;
      }
      await this.expireOrphans();
      await this.committer.commit();
      await this.points.flush();
    } catch (err) {
      this.log(`advisor: ${(err as Error).message}`, 'error');
    }
  }

  /**
   * Analyses every node with fresh samples now, whatever its epoch (POST /api/analyse), and says
   * which it analysed and which it skipped, and why.
   */
  async analyseNow(): Promise<{ analysed: string[]; skipped: { node: string; reason: string }[] }> {
    const analysed: string[] = [];
    const skipped: { node: string; reason: string }[] = [];
    for (const [node, s] of [...this.tracker.entries()].sort(([a], [b]) => a.localeCompare(b)))
      if (s.freshSeqs.length > 0) {
        await this.windows.close(node);
        analysed.push(node);
      } else skipped.push({ node, reason: 'no new samples since its last analysis' });
    for (const { node, samples } of this.admission.waiting())
      skipped.push({ node, reason: `no inventory yet (${samples} samples wait for it)` });
    await this.committer.commit();
    return { analysed, skipped };
  }

  /** Names of the nodes this replica owns (with their inventory). */
  ownedNodeNames(): string[] {
    return this.owned.names();
  }

  /** The nodes this replica owns, with what an operator scans a fleet by (see `NodeSummary`). */
  ownedNodes(): NodeSummary[] {
    return this.owned.summaries();
  }

  /** A node this replica owns, with its live window. */
  ownedNode(name: string): NodeDetail | null {
    return this.owned.detail(name);
  }

  /** The samples consumer's health, or null before start. */
  consumerHealth(): ConsumerHealth | null {
    return this.samples?.health() ?? null;
  }

  /** How each part is, with what is wrong (see `readinessByPart`). */
  readinessByPart(nowMs = Date.now()): ReadinessByPart {
    const consumer = this.ready ? (this.samples?.health() ?? null) : null;
    return readinessByPart(consumer, this.committer.failingSinceWallMs, this.points.buffer, nowMs);
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
    return this.points.buffer.dropped;
  }

  /** Windows waiting for the models or being modelled. */
  get analysisQueue(): number {
    return this.tracker.pendingWindows;
  }

  /** Points waiting for the store. */
  get pointsPending(): number {
    return this.points.buffer.size;
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
      Promise.all(this.queue.all()),
      new Promise((r) => (timer = setTimeout(r, waitForAnalysesMs))),
    ]);
    clearTimeout(timer);
    this.stopping = true;
    this.queue.stop();
    await this.committer
      .commit()
      .catch((err: Error) => this.log(`advisor: final commit failed: ${err.message}`, 'warn'));
    await this.samples?.stop();
    await this.inventory?.stop();
    await this.points.flush();
    await this.publisher?.close();
    await this.runner.close();
  }
}
