import { routeInvalidToDeadLetter } from '../adapters/bus/dead-letter-router';
import type { BusConsumer, BusProducer, MessageBus } from '../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import {
  codecs,
  defaultTopicSpecs,
  TOPICS,
  type NodeAnalysis,
  type NodeInventory,
  type NodeSample,
} from '../telemetry';
import { analyzeNode } from './domain/analyze-node';
import { NodeWindow } from './domain/node-window';

export interface AdvisorOptions {
  /** The rolling window per node (default 5 minutes). */
  windowMs?: number;
  /** How often each node with new samples is analysed (default 60 s). */
  analysisIntervalMs?: number;
  groupId?: string;
  onAnalysis?: (analysis: NodeAnalysis) => void;
  log?: (line: string) => void;
}

interface NodeState {
  inventory?: NodeInventory;
  window: NodeWindow;
  analysis?: NodeAnalysis;
  /** Samples accepted since the last analysis. */
  fresh: number;
}

/** Counters exported on /metrics. */
export interface AdvisorMetrics {
  samplesIngested: number;
  inventoriesIngested: number;
  duplicates: number;
  deadLettered: number;
  windowsAnalysed: number;
  lastAnalysisMs: number;
  analysisMsTotal: number;
}

/**
 * The advisor's engine, free of Nest: consumes samples and inventories (its consumer group shares
 * nodes between replicas), keeps a window per node, analyses nodes with new samples on an interval,
 * publishes analyses and writes summaries to the store.
 */
export class AdvisorCore {
  private readonly nodes = new Map<string, NodeState>();
  private consumer: BusConsumer | null = null;
  private producer: BusProducer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private analysing = false;
  ready = false;
  readonly metrics: AdvisorMetrics = {
    samplesIngested: 0,
    inventoriesIngested: 0,
    duplicates: 0,
    deadLettered: 0,
    windowsAnalysed: 0,
    lastAnalysisMs: 0,
    analysisMsTotal: 0,
  };

  constructor(
    private readonly bus: MessageBus,
    private readonly store: TimeSeriesStore,
    private readonly options: AdvisorOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.bus.ensureTopics(defaultTopicSpecs());
    await this.store.open();
    this.producer = this.bus.producer();
    const deadLetters: BusProducer = {
      send: async (topic, messages) => {
        this.metrics.deadLettered += messages.length;
        await this.producer!.send(topic, messages);
      },
      close: async () => undefined,
    };
    const samples = routeInvalidToDeadLetter(codecs.sample, deadLetters, async (s) => this.ingestSample(s));
    const inventories = routeInvalidToDeadLetter(codecs.inventory, deadLetters, async (i) =>
      this.ingestInventory(i),
    );
    this.consumer = this.bus.consumer({
      groupId: this.options.groupId ?? 'spinwise-advisor',
      topics: [TOPICS.samples, TOPICS.inventory],
      fromBeginning: true,
    });
    await this.consumer.start(async (m) => (m.topic === TOPICS.inventory ? inventories(m) : samples(m)));
    this.timer = setInterval(() => void this.analyseDue(), this.options.analysisIntervalMs ?? 60_000);
    this.ready = true;
  }

  private state(node: string): NodeState {
    let s = this.nodes.get(node);
    if (!s)
      this.nodes.set(
        node,
        (s = { window: new NodeWindow(node, this.options.windowMs ?? 300_000), fresh: 0 }),
      );
    return s;
  }

  private async ingestInventory(inventory: NodeInventory): Promise<void> {
    this.metrics.inventoriesIngested++;
    this.state(inventory.node).inventory = inventory;
  }

  private async ingestSample(sample: NodeSample): Promise<void> {
    const s = this.state(sample.node);
    if (s.window.add(sample) !== 'accepted') {
      this.metrics.duplicates++;
      return;
    }
    this.metrics.samplesIngested++;
    s.fresh++;
    await this.store.write(
      sample.vcpus.map((v) => ({
        measurement: 'vcpu',
        tags: { node: sample.node, vm: v.vm, vcpu: String(v.vcpu) },
        fields: { pleExits: v.pleExits ?? 0, runNs: v.runNs ?? 0, waitNs: v.waitNs ?? 0 },
        timestampMs: sample.timestampMs,
      })),
    );
  }

  /** Analyses every node that has an inventory and new samples; one pass at a time. */
  async analyseDue(): Promise<void> {
    if (this.analysing) return;
    this.analysing = true;
    try {
      for (const [node, s] of [...this.nodes].sort(([a], [b]) => a.localeCompare(b))) {
        if (!s.inventory || s.fresh === 0 || s.window.contents().length < 2) continue;
        const start = process.hrtime.bigint();
        const analysis = analyzeNode(s.inventory, s.window.contents());
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        this.metrics.windowsAnalysed++;
        this.metrics.lastAnalysisMs = ms;
        this.metrics.analysisMsTotal += ms;
        const { assumptions: _a, residual: _r, ...wire } = analysis;
        s.analysis = wire;
        s.fresh = 0;
        await this.producer!.send(TOPICS.analyses, [{ key: node, value: codecs.analysis.encode(wire) }]);
        this.options.onAnalysis?.(wire);
      }
    } catch (err) {
      this.options.log?.(`advisor: analysis failed: ${(err as Error).message}`);
    } finally {
      this.analysing = false;
    }
  }

  nodeList(): {
    name: string;
    kernel: string;
    model: string;
    severity: string;
    oversubscription: number;
    samples: number;
    analysedAtMs: number | null;
  }[] {
    return [...this.nodes]
      .filter(([, s]) => s.inventory)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => ({
        name,
        kernel: s.inventory!.kernel,
        model: s.analysis?.model ?? 'not analysed yet',
        severity: s.analysis?.severity ?? 'ok',
        oversubscription:
          Math.round(
            (s.inventory!.vms.reduce((a, vm) => a + vm.vcpus.length, 0) / s.inventory!.pcpus) * 1000,
          ) / 1000,
        samples: s.window.contents().length,
        analysedAtMs: s.analysis?.windowEndMs ?? null,
      }));
  }

  node(
    name: string,
  ): { inventory: NodeInventory; analysis: NodeAnalysis | null; gaps: number; duplicates: number } | null {
    const s = this.nodes.get(name);
    if (!s?.inventory) return null;
    return {
      inventory: s.inventory,
      analysis: s.analysis ?? null,
      gaps: s.window.gaps,
      duplicates: s.window.duplicates,
    };
  }

  analyses(): NodeAnalysis[] {
    return [...this.nodes.values()].flatMap((s) => (s.analysis ? [s.analysis] : []));
  }

  async stop(): Promise<void> {
    this.ready = false;
    if (this.timer) clearInterval(this.timer);
    await this.consumer?.stop();
    await this.producer?.close();
  }
}
