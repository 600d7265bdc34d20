import type { NodeAnalysis, RecommendationMessage } from '../../telemetry';
import type { AlertEvent } from '../http/api-types';
import type { ResultSink } from './result-sink';

/** What the dashboard hears about as it happens (Server-Sent Events on /api/events). */
export type LiveEvent =
  | { type: 'analysis'; node: string; severity: string; windowEndMs: number }
  | { type: 'alert'; node: string; transition: 'raised' | 'cleared'; kind: string; vm?: string }
  | { type: 'plan'; moves: number };

/** A fan-out of live events to whoever listens; a slow listener is its own problem, never the advisor's. */
export class LiveEvents implements ResultSink {
  private readonly listeners = new Set<(event: LiveEvent) => void>();

  analysis(a: NodeAnalysis): void {
    this.publish({ type: 'analysis', node: a.node, severity: a.severity, windowEndMs: a.windowEndMs });
  }

  alert(alert: AlertEvent): void {
    const { node, transition, finding } = alert;
    this.publish({ type: 'alert', node, transition, kind: finding.kind, vm: finding.vm });
  }

  plan(moves: RecommendationMessage[]): void {
    this.publish({ type: 'plan', moves: moves.length });
  }

  publish(event: LiveEvent): void {
    for (const listen of this.listeners) listen(event);
  }

  subscribe(listen: (event: LiveEvent) => void): () => void {
    this.listeners.add(listen);
    return () => this.listeners.delete(listen);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
