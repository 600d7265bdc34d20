import { Inject, Injectable } from '@nestjs/common';
import type { Log } from '../../adapters/log/log';
import { randomUUID } from 'node:crypto';
import type { BusConsumer, MessageBus } from '../../adapters/bus/message-bus';
import {
  alertKey,
  codecs,
  TOPICS,
  type AlertMessage,
  type NodeAnalysis,
  type NodeFindings,
  type NodeInventory,
  type RecommendationMessage,
} from '../../telemetry';
import { agentHealthFromAnalysis, newestObserved, nodeSummary } from './node-summary';
import type { ActiveAlert, NodeDetail, NodeSummary, NodeView } from '../http/api-types';
import { ADVISOR_SETTINGS, MESSAGE_BUS } from '../app/tokens';
import { AdvisorCore } from '../ingest/advisor-core';

/** Alert transitions kept for the history, newest last. */
const ALERT_HISTORY = 500;

/** What the fleet view asks of this replica's own core: inventories (every replica has them) and owned nodes. */
export interface OwnedNodes {
  readonly replica: string;
  inventoryOf(node: string): NodeInventory | undefined;
  ownedNodeNames(): string[];
  ownedNodes(): NodeSummary[];
  ownedNode(name: string): NodeDetail | null;
}

/**
 * The whole fleet as any replica answers for it: every node's newest findings and newest
 * prediction (the compacted findings and analyses topics), every alert transition (the compacted
 * alerts topic) and the newest plan (the recommendations topic), each read from the beginning
 * outside any shared group. Nodes this replica owns are shown with its live window; the others
 * as their owner's newest findings and prediction say.
 */
@Injectable()
export class FleetView {
  private readonly analyses = new Map<string, NodeAnalysis>();
  private readonly findings = new Map<string, NodeFindings>();
  private readonly history: AlertMessage[] = [];
  private readonly latestAlert = new Map<string, AlertMessage>();
  private planMoves: RecommendationMessage[] = [];
  private consumer: BusConsumer | null = null;
  skipped = 0;

  private readonly log: Log;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    /** This replica's own nodes (the core). */
    @Inject(AdvisorCore) private readonly own: OwnedNodes,
    @Inject(ADVISOR_SETTINGS) settings: { log?: Log } = {},
  ) {
    this.log = settings.log ?? (() => undefined);
  }

  async start(): Promise<void> {
    this.consumer = this.bus.consumer({
      groupId: `spinwise-fleet-view-${randomUUID()}`,
      topics: [TOPICS.findings, TOPICS.analyses, TOPICS.alerts, TOPICS.recommendations],
      fromBeginning: true,
      ephemeral: true,
    });
    await this.consumer.start(async (m) => {
      // A tombstone: the node left the cluster (NodeReaper) and is forgotten.
      if (m.value.length === 0 && m.key !== null) return this.forget(m.topic, m.key);
      // Written by spinwise's own replicas, validated there: a bad one is skipped and counted, not fatal.
      try {
        if (m.topic === TOPICS.findings) this.onFindings(codecs.findings.decode(m.value));
        else if (m.topic === TOPICS.analyses) this.onAnalysis(codecs.analysis.decode(m.value));
        else if (m.topic === TOPICS.alerts) this.onAlert(codecs.alert.decode(m.value));
        else this.onRecommendation(codecs.recommendation.decode(m.value));
      } catch (err) {
        this.skipped++;
        this.log(`fleet view: skipped a message on ${m.topic}: ${(err as Error).message}`, 'warn');
      }
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  private forget(topic: string, key: string): void {
    if (topic === TOPICS.findings) this.findings.delete(key);
    else if (topic === TOPICS.analyses) this.analyses.delete(key);
    else if (topic === TOPICS.alerts) this.latestAlert.delete(key);
  }

  /** Every node the fleet view knows, with the keys of its alerts (what a tombstone must cover). */
  knownNodes(): Map<string, string[]> {
    const known = new Map<string, string[]>();
    for (const node of [...this.findings.keys(), ...this.analyses.keys()]) known.set(node, []);
    for (const [key, alert] of this.latestAlert) {
      if (!known.has(alert.node)) known.set(alert.node, []);
      known.get(alert.node)!.push(key);
    }
    return known;
  }

  private onFindings(f: NodeFindings): void {
    const had = this.findings.get(f.node);
    if (!had || had.windowEndMs <= f.windowEndMs) this.findings.set(f.node, f);
  }

  private onAnalysis(a: NodeAnalysis): void {
    const had = this.analyses.get(a.node);
    if (!had || had.windowEndMs <= a.windowEndMs) this.analyses.set(a.node, a);
  }

  private onAlert(a: AlertMessage): void {
    this.history.push(a);
    if (this.history.length > ALERT_HISTORY) this.history.shift();
    const key = alertKey(a);
    const had = this.latestAlert.get(key);
    if (!had || had.atMs <= a.atMs) this.latestAlert.set(key, a);
  }

  /** Moves of one plan share its generation time; a newer plan replaces the older one. */
  private onRecommendation(r: RecommendationMessage): void {
    const current = this.planMoves[0]?.generatedAtMs ?? -1;
    if (r.generatedAtMs > current) this.planMoves = [r];
    else if (r.generatedAtMs === current) this.planMoves.push(r);
  }

  /** Every node's newest analysis, this replica's own or another's. */
  newestAnalyses(): NodeAnalysis[] {
    return [...this.analyses.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  /** One node's newest analysis, this replica's own or another's. */
  newestAnalysis(node: string): NodeAnalysis | undefined {
    return this.analyses.get(node);
  }

  /** Every node's newest findings: the freshest observation, model or not. */
  newestFindings(): NodeFindings[] {
    return [...this.findings.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  /** A node another replica owns, as its newest findings and prediction tell it. */
  private remote(name: string, nowMs: number) {
    const inventory = this.own.inventoryOf(name);
    const analysis = this.analyses.get(name) ?? null;
    const findings = this.findings.get(name) ?? null;
    const newest = newestObserved(analysis, findings);
    if (!inventory || !newest) return null;
    const agent = agentHealthFromAnalysis(newest.agent, newest.windowEndMs, nowMs);
    return {
      inventory,
      analysis,
      findings,
      agent,
      owner: newest.replica ?? 'unknown',
      samples: newest.samples,
    };
  }

  /** How many nodes `nodeList` lists, without building their rows (for /metrics). */
  nodeCount(): number {
    const names = new Set(this.own.ownedNodeNames());
    for (const name of [...this.findings.keys(), ...this.analyses.keys()])
      if (this.own.inventoryOf(name)) names.add(name);
    return names.size;
  }

  nodeList(nowMs = Date.now()): NodeSummary[] {
    const rows = new Map(this.own.ownedNodes().map((n) => [n.name, n]));
    for (const name of new Set([...this.findings.keys(), ...this.analyses.keys()])) {
      const r = rows.has(name) ? null : this.remote(name, nowMs);
      if (r) rows.set(name, nodeSummary(r.inventory, r.analysis, r.findings, r.samples, r.agent, r.owner));
    }
    return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  node(name: string, nowMs = Date.now()): NodeView | null {
    const activeAlerts = this.activeAlerts().filter((a) => a.node === name);
    const owned = this.own.ownedNode(name);
    if (owned) return { ...owned, activeAlerts };
    const r = this.remote(name, nowMs);
    if (!r) return null;
    return {
      inventory: r.inventory,
      analysis: r.analysis,
      findings: r.findings,
      owner: r.owner,
      firstSampleMs: null,
      gaps: r.agent.gaps,
      duplicates: null,
      agent: r.agent,
      activeAlerts,
    };
  }

  /** Alert transitions of the whole fleet, oldest first. */
  alerts(): readonly AlertMessage[] {
    return this.history;
  }

  /** Alerts raised and not cleared, oldest first. */
  activeAlerts(): ActiveAlert[] {
    return [...this.latestAlert.values()]
      .filter((a) => a.transition === 'raised')
      .map((a) => ({ node: a.node, finding: a.finding, vms: a.vms, sinceMs: a.atMs }))
      .sort((a, b) => a.sinceMs - b.sinceMs || a.node.localeCompare(b.node));
  }

  /** The newest plan any replica's planner published (one with no moves is not published). */
  lastPublishedPlan(): { atMs: number; moves: RecommendationMessage[] } | null {
    const first = this.planMoves[0];
    return first ? { atMs: first.generatedAtMs, moves: this.planMoves } : null;
  }
}
