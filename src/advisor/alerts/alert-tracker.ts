import type { Finding, NodeAnalysis, Recommendation } from '../../telemetry';
import { Hysteresis } from '../domain/hysteresis';

/** A node or VM entering or leaving excessive spinning, after hysteresis. */
export interface AlertEvent {
  node: string;
  transition: 'raised' | 'cleared';
  /** For a clear: the finding as it was last seen over its threshold. */
  finding: Finding;
  vms: string[];
  topRecommendation?: Recommendation;
  atMs: number;
}

/**
 * Per node, one hysteresis per (finding kind, VM): a finding raises after `raiseAfter` analyses in
 * a row over its threshold and clears after `clearAfter` in a row under it.
 */
export class AlertTracker {
  private readonly states = new Map<string, { hysteresis: Hysteresis; last: Finding }>();

  constructor(
    private readonly raiseAfter: number,
    private readonly clearAfter: number,
  ) {}

  observe(analysis: NodeAnalysis): AlertEvent[] {
    const over = new Map(analysis.findings.map((f) => [`${f.kind}|${f.vm ?? ''}`, f]));
    for (const [key, f] of over)
      if (!this.states.has(key))
        this.states.set(key, { hysteresis: new Hysteresis(this.raiseAfter, this.clearAfter), last: f });
    const events: AlertEvent[] = [];
    for (const [key, state] of [...this.states].sort(([a], [b]) => a.localeCompare(b))) {
      const now = over.get(key);
      if (now) state.last = now;
      const transition = state.hysteresis.observe(now !== undefined);
      if (transition)
        events.push({
          node: analysis.node,
          transition,
          finding: state.last,
          vms: state.last.vm ? [state.last.vm] : [],
          topRecommendation: transition === 'raised' ? analysis.recommendations[0] : undefined,
          atMs: analysis.windowEndMs,
        });
      if (transition === 'cleared' || (!state.hysteresis.active && !now)) this.states.delete(key);
    }
    return events;
  }

  /** Findings raised and not yet cleared. */
  active(): Finding[] {
    return [...this.states.values()].filter((s) => s.hysteresis.active).map((s) => s.last);
  }
}
