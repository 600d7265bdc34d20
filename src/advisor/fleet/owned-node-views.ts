import type { NodeAnalysis, NodeFindings } from '../../telemetry';
import { AlertTracker } from '../alerts/alert-tracker';
import type { NodeDetail, NodeSummary } from '../http/api-types';
import type { NodeInventories } from '../ingest/node-inventories';
import type { NodeTracker, TrackedNode } from '../ingest/node-tracker';
import { agentHealth, nodeSummary } from './node-summary';

/** What this replica shows of a node it owns, beside the node's window. */
export interface NodeOutputs {
  alerts: AlertTracker;
  /** The newest window's findings (published as it closed). */
  findings?: NodeFindings;
  analysis?: NodeAnalysis;
}

/** The nodes this replica owns: their newest findings, analysis and alerts, and the queries over them. */
export class OwnedNodeViews {
  private readonly outputs = new Map<string, NodeOutputs>();

  constructor(
    private readonly tracker: NodeTracker<unknown>,
    private readonly inventories: NodeInventories,
    private readonly replica: string,
    private readonly alerts: { raiseAfter: number; clearAfter: number },
  ) {}

  /** The node's outputs, made on first use. */
  of(node: string): NodeOutputs {
    let o = this.outputs.get(node);
    if (!o)
      this.outputs.set(
        node,
        (o = { alerts: new AlertTracker(this.alerts.raiseAfter, this.alerts.clearAfter) }),
      );
    return o;
  }

  peek(node: string): NodeOutputs | undefined {
    return this.outputs.get(node);
  }

  forget(node: string): void {
    this.outputs.delete(node);
  }

  /** Names of the nodes this replica owns (with their inventory). */
  names(): string[] {
    return [...this.tracker.entries()].map(([name]) => name).filter((name) => this.inventories.has(name));
  }

  /** The nodes this replica owns, with what an operator scans a fleet by (see `NodeSummary`). */
  summaries(nowMs = Date.now()): NodeSummary[] {
    return [...this.tracker.entries()].flatMap(([name, s]) => {
      const inventory = this.inventories.get(name);
      if (!inventory) return [];
      const out = this.outputs.get(name);
      return [
        nodeSummary(
          inventory,
          out?.analysis ?? null,
          out?.findings ?? null,
          s.window.contents().length,
          agentOf(s, nowMs),
          this.replica,
        ),
      ];
    });
  }

  /** A node this replica owns, with its live window. */
  detail(name: string, nowMs = Date.now()): NodeDetail | null {
    const s = this.tracker.get(name);
    const inventory = this.inventories.get(name);
    if (!s || !inventory) return null;
    const out = this.outputs.get(name);
    return {
      inventory,
      analysis: out?.analysis ?? null,
      findings: out?.findings ?? null,
      owner: this.replica,
      firstSampleMs: s.firstSampleMs,
      gaps: s.window.gaps,
      duplicates: s.window.duplicates,
      agent: agentOf(s, nowMs),
    };
  }
}

/** How a node's agent is doing, from its newest sample and when it came. */
function agentOf(s: Readonly<TrackedNode<unknown>>, nowMs: number) {
  const samples = s.window.contents();
  return agentHealth(s.lastSampleWallMs, samples[samples.length - 1], s.window.gaps, nowMs);
}
