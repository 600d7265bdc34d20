import type { Finding, FindingKind, NodeFindings, Recommendation } from '../../telemetry';
import { SEVERITY_RANK } from '../domain/analyze-node';
import { Hysteresis } from '../domain/hysteresis';
import type { AlertEvent } from '../http/api-types';

/** Findings that mean spinning; run-queue wait alone is oversubscription, shown but not paged. */
const ALERTING: readonly FindingKind[] = ['ple-rate', 'spin-share', 'yield-ineffective'];

/**
 * Per node, one hysteresis per finding kind: the kind raises after `raiseAfter` analyses in a row
 * with some VM over its threshold, and clears after `clearAfter` in a row with none. One message
 * names every VM concerned, so a node with eight spinning VMs pages once, not eight times.
 */
export class AlertTracker {
  private readonly states = new Map<FindingKind, { hysteresis: Hysteresis; last: Finding; vms: string[] }>();

  constructor(
    private readonly raiseAfter: number,
    private readonly clearAfter: number,
  ) {}

  /** A window's findings, as it closed; `recommendations`: the node's newest prediction's. */
  observe(
    window: Pick<NodeFindings, 'node' | 'findings' | 'windowEndMs'>,
    recommendations: readonly Recommendation[],
  ): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (const kind of ALERTING) {
      const over = window.findings
        .filter((f) => f.kind === kind)
        .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.value - a.value);
      let state = this.states.get(kind);
      if (!state) {
        if (over.length === 0) continue;
        state = {
          hysteresis: new Hysteresis(this.raiseAfter, this.clearAfter),
          last: over[0]!,
          vms: [],
        };
        this.states.set(kind, state);
      }
      if (over.length > 0) {
        state.last = over[0]!;
        state.vms = over.flatMap((f) => (f.vm ? [f.vm] : []));
      }
      const transition = state.hysteresis.observe(over.length > 0);
      if (transition)
        events.push({
          node: window.node,
          transition,
          finding: state.last,
          vms: state.vms,
          topRecommendation: transition === 'raised' ? recommendations[0] : undefined,
          atMs: window.windowEndMs,
        });
      // A kind back to normal (or never raised and now under) starts afresh next time.
      if (!state.hysteresis.active && over.length === 0) this.states.delete(kind);
    }
    return events;
  }
}
