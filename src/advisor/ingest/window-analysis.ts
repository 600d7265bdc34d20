import type { Log } from '../../adapters/log/log';
import { alertKey, codecs, TOPICS, type NodeAnalysis, type NodeInventory } from '../../telemetry';
import type { AnalysisRunner, WindowToModel } from '../analysis/analysis-runner';
import { wireAnalysis, type WindowObservation } from '../domain/analyze-node';
import { findingsChanged } from '../domain/findings-changed';
import { windowFindings } from '../domain/window-findings';
import { agentStatusOf } from '../fleet/node-summary';
import type { OwnedNodeViews } from '../fleet/owned-node-views';
import type { ResultPublisher } from '../outputs/result-publisher';
import type { NodePoints } from '../store/node-points';
import { analysisPoints } from '../store/store-points';
import type { ResultSinks } from '../outputs/result-sink';
import type { AdvisorMetrics } from './advisor-options';
import type { Close, ClosedWindow, NodeTracker } from './node-tracker';
import type { OffsetCommitter } from './offset-committer';
import type { WindowQueue } from './window-queue';

/** What a closing window is about: the node's inventory then, and what the window showed. */
export interface WindowDetail {
  inventory: NodeInventory;
  observed: WindowObservation;
}

type Window = ClosedWindow<WindowDetail>;

/** The window as the models see it, read when a worker takes it up: a window merged in meanwhile counts. */
function modelView(window: Window): WindowToModel {
  return {
    get inventory() {
      return window.detail.inventory;
    },
    get observed() {
      return window.detail.observed;
    },
    get samples() {
      return window.samples;
    },
    get closedAtWallMs() {
      return window.closedAtWallMs;
    },
  };
}

/** What a window's analysis reaches: the ingest's parts, the models and the outputs. */
export interface WindowAnalysisContext {
  tracker: NodeTracker<WindowDetail>;
  queue: WindowQueue;
  runner: AnalysisRunner;
  owned: OwnedNodeViews;
  points: NodePoints;
  committer: OffsetCommitter;
  publisher: () => ResultPublisher;
  metrics: AdvisorMetrics;
  sinks: ResultSinks;
  log: Log;
  replica: string;
  /** Whether this replica owns the samples partition now. */
  owns: (partition: number) => boolean;
  /** Set once the advisor gave up waiting at shutdown: an analysis finishing later is not published. */
  stopping: () => boolean;
}

/**
 * A closed window's way out: its findings and alerts at once, then its analysis after the node's
 * earlier ones — modelled, published, marked analysed, committed, stored and reported.
 */
export class WindowAnalysis {
  constructor(private readonly ctx: WindowAnalysisContext) {}

  /**
   * Closes the node's window now, if it has fresh samples. Resolves when this (and every earlier)
   * analysis of the node is published.
   */
  close(node: string): Promise<void> {
    const c = this.ctx.tracker.close(node, Date.now());
    if (c) this.closed(node, c);
    return this.ctx.queue.settled(node);
  }

  /** A window closed: its findings at once, its analysis queued (unless it merged into a waiting one). */
  closed(node: string, c: Close<WindowDetail>): void {
    this.publishFindings(node, c.window, c.gaps);
    if (c.merged) {
      this.ctx.metrics.windowsCoalesced++;
      return;
    }
    const window = c.window;
    this.ctx.queue.enqueue(
      node,
      () => this.analyse(node, window),
      () => this.ctx.tracker.isPending(node, window),
    );
  }

  /**
   * The window's findings, at once: on their topic for every replica's fleet view, and into the
   * node's alerts (whose top recommendation is the newest prediction's). No model is waited for.
   */
  private publishFindings(node: string, window: Window, gaps: number): void {
    const { inventory, observed } = window.detail;
    const findings = windowFindings(inventory, window.samples, observed, gaps, this.ctx.replica);
    const out = this.ctx.owned.of(node);
    out.findings = findings;
    const alerts = out.alerts.observe(findings, out.analysis?.recommendations ?? []);
    for (const alert of alerts) {
      if (alert.transition === 'raised') this.ctx.metrics.alertsRaised++;
      this.ctx.sinks.alert(alert);
    }
    // Every replica's fleet view (and so its alert history) follows the transitions on their topic.
    const sent = [
      this.ctx.publisher().add(TOPICS.findings, { key: node, value: codecs.findings.encode(findings) }),
      ...alerts.map((a) => {
        const message = { schema: 'spinwise.alert.v1' as const, ...a, replica: this.ctx.replica };
        return this.ctx.publisher().add(TOPICS.alerts, {
          key: alertKey(message),
          value: codecs.alert.encode(message),
        });
      }),
    ];
    const closedAtWallMs = window.closedAtWallMs;
    void Promise.all(sent).then(
      () => this.ctx.sinks.findings(findings, Date.now() - closedAtWallMs),
      (err: Error) =>
        this.ctx.log(`advisor: publishing the findings of ${node} failed: ${err.message}`, 'warn'),
    );
  }

  private async analyse(node: string, window: Window): Promise<void> {
    // Until a worker takes it up, a window closing meanwhile merges into this one (see NodeTracker.close).
    let analysed;
    let inFlight = false;
    try {
      analysed = await this.ctx.runner.run(modelView(window), {
        urgent: () => findingsChanged(this.ctx.owned.peek(node)?.analysis, window.detail.observed),
        started: () => {
          window.started = inFlight = true;
          this.ctx.metrics.analysesInFlight++;
        },
      });
    } finally {
      if (inFlight) this.ctx.metrics.analysesInFlight--;
    }
    const { result, ms } = analysed;
    if (this.ctx.stopping()) return;
    // A rebalance took the node away meanwhile: its new owner analyses these samples, not us.
    if (!this.ctx.owns(window.partition)) return this.ctx.tracker.abandoned(node, window);
    const newest = window.samples[window.samples.length - 1]!;
    const analysis: NodeAnalysis = {
      ...wireAnalysis(result),
      newFromSeq: Math.min(...window.freshSeqs),
      replica: this.ctx.replica,
      agent: agentStatusOf(newest, this.ctx.tracker.get(node)?.window.gaps ?? 0),
    };
    await this.ctx.publisher().add(TOPICS.analyses, { key: node, value: codecs.analysis.encode(analysis) });
    // Published: these samples need not be delivered again. (Not pending any more: the node was
    // forgotten meanwhile, and its state with it.)
    const tracked = this.ctx.tracker.published(node, window);
    const out = this.ctx.owned.peek(node);
    // A retried window may be published after a newer one: the node shows its newest.
    if (tracked && out && (!out.analysis || analysis.windowEndMs >= out.analysis.windowEndMs))
      out.analysis = analysis;
    // Commit at once, so that the next owner of this partition starts after this window. The
    // analysis is published either way: a commit that fails (broker away, a rebalance) is retried
    // by the next tick, and must not keep its alerts and reports from happening.
    await this.ctx.committer
      .commit()
      .catch((err: Error) =>
        this.ctx.log(`advisor: commit after analysing ${node} failed (retried): ${err.message}`, 'warn'),
      );
    this.ctx.metrics.windowsAnalysed++;
    if (tracked) this.ctx.points.add(node, analysisPoints(analysis));
    this.ctx.sinks.analysis(analysis, {
      ms,
      cached: result.cached,
      closedAtWallMs: window.closedAtWallMs,
      freshSeqs: window.freshSeqs,
    });
  }
}
