import type { Log } from '../../adapters/log/log';
import type { NodeAnalysis, NodeFindings, RecommendationMessage } from '../../telemetry';
import type { AlertEvent } from '../http/api-types';

/** What an analysis cost, as its sinks hear it. */
export interface AnalysisCost {
  /** Model time. */
  ms: number;
  /** The node's fit was reused. */
  cached: boolean;
  /** Wall time the (newest) window it covers closed. */
  closedAtWallMs: number;
  /** The seqs it counted as new. */
  freshSeqs: readonly number[];
}

/** A sink's answer: nothing, or a promise the advisor never waits for (a failure is logged). */
type Done = void | Promise<void>;

/**
 * Where the advisor's results go besides Kafka — the metrics' histograms, the dashboard's live
 * stream, Slack, the cluster, a test — each implementing what it cares about (node-problem-
 * detector's exporters: one interface, many implementations, all given every result).
 */
export interface ResultSink {
  /** A window's findings were published, `delayMs` after it closed. */
  findings?(findings: NodeFindings, delayMs: number): Done;
  /** A node's analysis (prediction) was published. */
  analysis?(analysis: NodeAnalysis, cost: AnalysisCost): Done;
  /** An alert was raised or cleared. */
  alert?(alert: AlertEvent): Done;
  /** The leader published a cluster plan. */
  plan?(moves: RecommendationMessage[]): Done;
}

type Call = (sink: ResultSink) => unknown;

/**
 * Hands each result to every sink. None may hold the advisor up or keep the others from hearing:
 * a sink that throws, or returns a promise that rejects (the cluster, Slack), is logged and left.
 */
export class ResultSinks {
  constructor(
    private readonly sinks: readonly ResultSink[],
    private readonly log: Log = () => undefined,
  ) {}

  findings(findings: NodeFindings, delayMs: number): void {
    this.each('findings', (s) => s.findings?.(findings, delayMs));
  }

  analysis(analysis: NodeAnalysis, cost: AnalysisCost): void {
    this.each('analysis', (s) => s.analysis?.(analysis, cost));
  }

  alert(alert: AlertEvent): void {
    this.each('alert', (s) => s.alert?.(alert));
  }

  plan(moves: RecommendationMessage[]): void {
    this.each('plan', (s) => s.plan?.(moves));
  }

  private each(what: string, call: Call): void {
    const failed = (err: unknown) =>
      this.log(`advisor: a result sink failed on ${what}: ${(err as Error).message ?? String(err)}`, 'warn');
    for (const sink of this.sinks)
      try {
        const r = call(sink);
        if (r instanceof Promise) r.catch(failed);
      } catch (err) {
        failed(err);
      }
  }
}
