import { availableParallelism } from 'node:os';
import type { NodeInventory, NodeSample } from '../telemetry';
import type { FitHint } from './domain/calibrate';
import { prepareAnalysis, type NodeAnalysisResult, type WindowObservation } from './domain/analyze-node';
import { ModelCache, type ModelledNode } from './domain/model-cache';
import { ModelPool } from './model-pool/model-pool';

/** What a window needs to be modelled: the node's inventory, its samples and what was observed. */
export interface WindowToModel {
  inventory: NodeInventory;
  samples: readonly NodeSample[];
  observed: WindowObservation;
}

/**
 * The model side of an analysis: the worker pool, the cache of fitted models by fingerprint, and
 * the fits in flight (alike windows waiting at once share one fit). It knows nothing of Kafka or
 * of which replica owns what; the core hands it windows and publishes what comes back.
 */
export class AnalysisRunner {
  private pool: ModelPool | null = null;
  private readonly cache = new ModelCache();
  private readonly fitting = new Map<string, Promise<ModelledNode>>();

  constructor(private readonly workers = Math.max(1, availableParallelism() - 1)) {}

  start(): void {
    this.pool ??= new ModelPool(this.workers);
  }

  /**
   * The cheap part here, the model from the cache when this window's fingerprint was modelled
   * before, else from a worker. `urgent`: the node's findings changed, so its fit goes first.
   */
  async run(
    window: WindowToModel,
    hint: FitHint | undefined,
    urgent: boolean,
  ): Promise<{ result: NodeAnalysisResult; ms: number }> {
    const start = process.hrtime.bigint();
    const prepared = prepareAnalysis(window.inventory, window.samples, hint, window.observed);
    const { key } = prepared.request;
    let modelled = this.cache.get(key);
    let fitted = false;
    if (!modelled) {
      let fit = this.fitting.get(key);
      if (!fit) {
        fitted = true;
        fit = this.models.model(prepared.request, urgent).finally(() => this.fitting.delete(key));
        this.fitting.set(key, fit);
      }
      modelled = await fit;
      this.cache.set(key, modelled);
    }
    // "cached": this window ran no fit of its own (the model was cached or another window's fit served).
    const result = prepared.finish(modelled, !fitted);
    return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  }

  /** The worker threads that run the models; the cluster planner uses them too. */
  get models(): ModelPool {
    if (!this.pool) throw new Error('analysis runner: start() first');
    return this.pool;
  }

  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
