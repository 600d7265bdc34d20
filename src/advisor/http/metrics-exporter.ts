import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VERSION } from '../../cli/version';
import type { NodeAnalysis, NodeFindings } from '../../telemetry';
import type { AnalysisCost, ResultSink } from '../outputs/result-sink';
import { advisorMetrics, type MetricSources } from './advisor-metrics';
import { findingSeries } from './finding-series';

/**
 * `/metrics` through prom-client: Node's process metrics, `spinwise_build_info`, histograms of
 * the analysis time and of the delays from a window closing to its findings and to its prediction,
 * the advisor's counters and gauges (read at each scrape), and the findings of this replica's nodes.
 */
export class MetricsExporter implements ResultSink {
  readonly registry = new Registry();
  readonly analysisSeconds = new Histogram({
    name: 'spinwise_analysis_duration_seconds',
    help: 'Time to analyse a window: cheap part, and the model fit on a cache miss',
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly findingDelaySeconds = new Histogram({
    name: 'spinwise_finding_delay_seconds',
    help: 'A window closing to its findings published',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly predictionDelaySeconds = new Histogram({
    name: 'spinwise_prediction_delay_seconds',
    help: 'A window closing to its prediction (model fit and what-ifs) published',
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly degraded = new Gauge({
    name: 'spinwise_degraded',
    help: 'A part this replica depends on is failing (1) while it keeps serving: kafka or store, with /readyz giving the reasons',
    labelNames: ['part'],
    registers: [this.registry],
  });
  private readonly own = new Map<string, Counter | Gauge>();
  private readonly labelled = new Map<string, Gauge>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'spinwise_build_info',
      help: 'The running spinwise: version and Node.js',
      labelNames: ['version', 'nodejs'],
      registers: [this.registry],
    }).set({ version: VERSION, nodejs: process.version }, 1);
  }

  findings(_findings: NodeFindings, delayMs: number): void {
    this.findingDelaySeconds.observe(delayMs / 1000);
  }

  analysis(_analysis: NodeAnalysis, cost: AnalysisCost): void {
    this.analysisSeconds.observe(cost.ms / 1000);
    this.predictionDelaySeconds.observe((Date.now() - cost.closedAtWallMs) / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(services: MetricSources): Promise<string> {
    for (const [name, help, type, value] of advisorMetrics(services)) {
      let metric = this.own.get(name);
      if (!metric) {
        metric =
          type === 'counter'
            ? new Counter({ name, help, registers: [this.registry] })
            : new Gauge({ name, help, registers: [this.registry] });
        this.own.set(name, metric);
      }
      // Counted elsewhere (the core, the planner, Slack): the counter shows that count.
      metric.reset();
      if (metric instanceof Counter) metric.inc(value);
      else metric.set(value);
    }
    const parts = services.core.readinessByPart();
    this.degraded.set({ part: 'kafka' }, parts.kafka.length > 0 ? 1 : 0);
    this.degraded.set({ part: 'store' }, parts.store.length > 0 ? 1 : 0);
    const mine = <T extends { replica?: string }>(xs: T[]) =>
      xs.filter((x) => x.replica === services.core.replica);
    const families = findingSeries(
      mine(services.fleet.newestFindings()),
      mine(services.fleet.newestAnalyses()),
      (n) => services.core.inventoryOf(n),
    );
    for (const f of families) {
      let gauge = this.labelled.get(f.name);
      if (!gauge) {
        gauge = new Gauge({
          name: f.name,
          help: f.help,
          labelNames: f.labelNames,
          registers: [this.registry],
        });
        this.labelled.set(f.name, gauge);
      }
      // Series of nodes this replica no longer owns, or VMs gone, disappear.
      gauge.reset();
      for (const [labels, value] of f.rows) gauge.set(labels, value);
    }
    return this.registry.metrics();
  }
}
