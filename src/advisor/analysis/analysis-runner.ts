import { availableParallelism } from 'node:os';
import type { NodeAnalysis, NodeInventory } from '../../telemetry';
import type { Calibration, FitHint } from '../domain/calibrate';
import {
  prepareAnalysis,
  type NodeAnalysisResult,
  type ModelRequest,
  type PreparedAnalysis,
  type WindowObservation,
} from '../domain/analyze-node';
import { LruCache, predictionKey, type ModelledNode } from '../domain/model-cache';
import { NearCache } from '../domain/near-cache';
import { NearReplays, type Replayed } from '../domain/near-replays';
import { modelStillFits, predictionsStillStand, type NodeModel } from '../domain/model-reuse';
import { takeOverModel } from '../domain/model-takeover';
import type { WindowSample } from '../domain/window-sample';
import { ModelPool, type Lease } from '../model-pool/model-pool';

/**
 * What a window needs to be modelled: the node's inventory, its samples and what was observed.
 * Read when a worker takes it up, not when it was queued: a window closing meanwhile is merged
 * into a waiting one, and the model is fitted to the newest.
 */
export interface WindowToModel {
  inventory: NodeInventory;
  samples: readonly WindowSample[];
  observed: WindowObservation;
  /** Wall time the newest window merged into it closed. */
  closedAtWallMs: number;
}

/** How a window waits for a worker, asked when one frees up. */
export interface WaitingWindow {
  /** Its findings changed since the node's last prediction (or it has none): it goes first. */
  urgent(): boolean;
  /** Its model work begins: from here on a newer window queues behind it instead of merging. */
  started(): void;
}

/**
 * A window closed this recently is taken ahead of staler ones of the same urgency: its prediction
 * is published fresh, and the stale one gets a fresher window to model at its node's next close.
 */
const FRESH_MS = 20_000;

/** The newest models kept per node shape, for a window whose own and fingerprint's model miss. */
const MODELS_PER_SHAPE = 8;

/** Counts of how windows came by their models, for /metrics and the benchmark. */
export interface RunnerStats {
  /** Windows whose node's own model still fitted. */
  reused: number;
  /** Nodes whose model this replica took over from their newest published analysis (a handover, a restart). */
  takenOver: number;
  /** Windows whose fingerprint was modelled before (by any node), or close enough to stand on its model. */
  hits: number;
  /** Of the hits, windows on an alike node's model in another bin: within its resolution (`modelStillFits`). */
  nearHits: number;
  /** Of the reused and the hits, windows answered while they waited for a worker, from a model stored meanwhile. */
  answeredWaiting: number;
  /** Windows fitted. */
  misses: number;
  /** Fits whose what-ifs were replayed before for an alike fitted workload (in its bins, or near). */
  predictionHits: number;
  /** Fits that kept their node's what-ifs: the fit moved too little to change them. */
  predictionsKept: number;
  /** Fits that took the what-ifs of an alike node's fit close enough to theirs (`predictionsStillStand`). */
  predictionsNear: number;
  predictionMisses: number;
  size: number;
  /** Worker milliseconds spent fitting, and replaying what-ifs. */
  fitMs: number;
  predictMs: number;
}

const now = () => process.hrtime.bigint();
const msSince = (start: bigint) => Number(now() - start) / 1e6;

/** A window waiting for a worker: its analysis prepared once per load it shows, and its answer if one came early. */
class ParkedWindow {
  readonly abort = new AbortController();
  /** Its analysis when a model stored meanwhile gave it, and the milliseconds that took. */
  answer: { result: NodeAnalysisResult; ms: number } | null = null;
  private cached: { observed: WindowObservation; prepared: PreparedAnalysis } | null = null;

  constructor(private readonly window: WindowToModel) {}

  /** Prepared again only when a window merged in meanwhile (its observation is a new one). */
  prepared(): PreparedAnalysis {
    const { inventory, samples, observed } = this.window;
    if (this.cached?.observed !== observed)
      this.cached = { observed, prepared: prepareAnalysis(inventory, samples, observed) };
    return this.cached.prepared;
  }
}

/**
 * The model side of an analysis: the worker pool, each node's newest model (reused while its load
 * stays within the model's resolution), the fleet's fits by fingerprint and what-ifs by fitted
 * workload (alike nodes share them), and the work in flight (alike windows waiting at once share
 * one fit). It knows nothing of Kafka or of which replica owns what; the core hands it windows and
 * publishes what comes back.
 */
export class AnalysisRunner {
  private pool: ModelPool | null = null;
  private readonly fits = new LruCache<ModelledNode>();
  private readonly predictions = new LruCache<Replayed>();
  private readonly latest = new LruCache<NodeModel>(16_384);
  /** The newest fit of each node shape: the warm start of an alike node's first fit. */
  private readonly shapeHints = new LruCache<FitHint>();
  private readonly fitting = new Map<string, Promise<Calibration>>();
  private readonly predicting = new Map<string, Promise<Replayed>>();
  private readonly near = new NearReplays();
  /** The fleet's newest models by node shape: what a window of an alike node may stand on. */
  private readonly shapes = new NearCache<NodeModel>(MODELS_PER_SHAPE);
  /** Windows waiting for a worker, to be answered early from a model stored meanwhile. */
  private readonly parked = new Set<ParkedWindow>();
  private readonly counts = {
    reused: 0,
    takenOver: 0,
    hits: 0,
    nearHits: 0,
    answeredWaiting: 0,
    misses: 0,
    predictionsKept: 0,
    predictionsNear: 0,
    fitMs: 0,
    predictMs: 0,
  };
  /** A node's newest published analysis (any replica's): the model to take over when there is none here. */
  private published: (node: string) => NodeAnalysis | undefined = () => undefined;

  constructor(private readonly workers = Math.max(1, availableParallelism() - 1)) {}

  start(): void {
    this.pool ??= new ModelPool(this.workers);
  }

  /** Where nodes' newest published analyses are read (the fleet view): see `takeOverModel`. */
  takeOverFrom(published: (node: string) => NodeAnalysis | undefined): void {
    this.published = published;
  }

  /**
   * The window's analysis: from the node's own model when its load still fits it, from the fleet's
   * cache when its fingerprint was modelled before (or an alike node's model fits it), else fitted
   * on a worker — which it waits for behind urgent and fresher windows (see `ModelPool`).
   */
  async run(
    window: WindowToModel,
    waiting: WaitingWindow,
  ): Promise<{ result: NodeAnalysisResult; ms: number }> {
    const answer = (start: bigint, result: NodeAnalysisResult) => ({ result, ms: msSince(start) });
    const begun = now();
    const parked = new ParkedWindow(window);
    const quick = this.fromCache(parked.prepared());
    if (quick) {
      waiting.started();
      return answer(begun, quick);
    }
    const node = window.inventory.node;
    // While it waits, a model stored for its shape may already answer it (see `wake`).
    this.parked.add(parked);
    let lease: Lease | null = null;
    try {
      lease = await this.models.acquire(
        () => [
          waiting.urgent() ? 0 : 2,
          Date.now() - window.closedAtWallMs < FRESH_MS ? 0 : 1,
          this.latest.peek(node)?.fittedToMs ?? 0,
        ],
        parked.abort.signal,
      );
    } catch (err) {
      if (!parked.answer) throw err; // else it left the queue, answered
    } finally {
      this.parked.delete(parked);
    }
    const start = now();
    try {
      waiting.started();
      // Answered while it waited (or just as the worker was granted).
      if (parked.answer) return parked.answer;
      // Prepared again: a window merged in meanwhile may bring a load that a model fits after all.
      const prepared = parked.prepared();
      return answer(start, this.fromCache(prepared) ?? (await this.fit(prepared, lease!)));
    } finally {
      lease?.release();
    }
  }

  /**
   * A model was stored for `shape`: each window of that shape waiting for a worker is answered
   * from it now if it would be once a worker took it up. Without this, a window that a fresh model
   * stands for waits behind every fit queued before it (in a cold start, up to a minute).
   */
  private wake(shape: string): void {
    for (const parked of this.parked) {
      const begun = now();
      const prepared = parked.prepared();
      if (prepared.request.shape !== shape) continue;
      const result = this.fromCache(prepared);
      if (!result) continue;
      parked.answer = { result, ms: msSince(begun) };
      this.counts.answeredWaiting++;
      parked.abort.abort(new Error('answered from a model stored while it waited'));
    }
  }

  /** The analysis without a worker, when the node's own model or the fleet's cache has it. */
  private fromCache(prepared: PreparedAnalysis): NodeAnalysisResult | null {
    const { request } = prepared;
    const own = this.latest.peek(request.inventory.node) ?? this.takeOver(request);
    if (own && modelStillFits(own, request)) {
      this.counts.reused++;
      return prepared.finish(own.modelled, { cached: true, fittedToMs: own.fittedToMs });
    }
    let hit = this.fits.peek(request.key);
    if (!hit) {
      // An alike node's model that this window's load is as close to as a node's own model may be.
      hit = this.shapes.find(request.shape, (m) => modelStillFits(m, request))?.modelled;
      if (!hit) return null;
      this.counts.nearHits++;
    }
    this.counts.hits++;
    const result = prepared.finish(hit, { cached: true });
    this.remember(request, hit, result.windowEndMs);
    return result;
  }

  /**
   * The model of the node's newest published analysis, for a node without one here; kept as the
   * node's model even when this window's load has left it, for its lock rate to start the refit from,
   * and one an alike node's window may stand on.
   */
  private takeOver(request: ModelRequest): NodeModel | undefined {
    const analysis = this.published(request.inventory.node);
    const model = analysis && takeOverModel(analysis, request);
    if (!model) return undefined;
    this.counts.takenOver++;
    this.latest.set(request.inventory.node, model);
    this.shapes.add(request.shape, model);
    return model;
  }

  /** The node's model from here on is `modelled`, fitted to (the load of) the window ending at `windowEndMs`. */
  private remember(request: ModelRequest, modelled: ModelledNode, windowEndMs: number): NodeModel {
    const model = { shape: request.shape, modelled, fittedToMs: windowEndMs };
    this.latest.set(request.inventory.node, model);
    return model;
  }

  /** Fits the window on the leased worker (or waits for an alike window's fit), then its what-ifs. */
  private async fit(prepared: PreparedAnalysis, lease: Lease): Promise<NodeAnalysisResult> {
    const { request } = prepared;
    const own = this.latest.peek(request.inventory.node);
    const hint = own?.modelled.calibration.hint ?? this.shapeHints.peek(request.shape);
    let fitted = false;
    let calibrating = this.fitting.get(request.key);
    if (!calibrating) {
      fitted = true;
      this.counts.misses++;
      calibrating = lease
        .run({ kind: 'calibrate', request: { ...request, hint } })
        .then((r) => ((this.counts.fitMs += r.ms), r.calibration))
        .finally(() => this.fitting.delete(request.key));
      this.fitting.set(request.key, calibrating);
    }
    const calibration = await calibrating;
    this.shapeHints.set(request.shape, calibration.hint);
    const modelled = { calibration, ...(await this.whatIfs(calibration, request, lease, own)) };
    this.fits.set(request.key, modelled);
    const result = prepared.finish(modelled, { cached: !fitted });
    const model = this.remember(request, modelled, result.windowEndMs);
    if (fitted) this.shapes.add(request.shape, model);
    this.wake(request.shape);
    return result;
  }

  /**
   * The what-ifs of a new fit: the node's own when the fit moved too little to change them, an
   * alike fit's from the fleet's cache — in the same bins, or of the same family and close enough
   * — or replayed on the leased worker.
   */
  private async whatIfs(
    calibration: Calibration,
    request: ModelRequest,
    lease: Lease,
    /** The node's model before this fit, if any. */
    own: NodeModel | undefined,
  ): Promise<Replayed & Pick<ModelledNode, 'predictedOn'>> {
    if (own?.shape === request.shape) {
      const { predictions, pleNoise } = own.modelled;
      const predictedOn = own.modelled.predictedOn ?? own.modelled.calibration.workloads;
      if (predictionsStillStand(predictedOn, calibration.workloads)) {
        this.counts.predictionsKept++;
        return { predictions, pleNoise, predictedOn };
      }
    }
    const { oversubscribed, worst } = request;
    const key = predictionKey(calibration, oversubscribed, worst);
    const cached = this.predictions.get(key);
    if (cached) return cached;
    const near = this.near.find(calibration, oversubscribed, worst);
    if (near) {
      this.counts.predictionsNear++;
      return near;
    }
    let replaying = this.predicting.get(key);
    if (!replaying) {
      replaying = lease
        .run({ kind: 'predict', calibration, oversubscribed, worst })
        .then((r) => {
          this.counts.predictMs += r.ms;
          const replayed = { predictions: r.predictions, pleNoise: r.pleNoise };
          this.near.add(calibration, oversubscribed, worst, replayed);
          return replayed;
        })
        .finally(() => this.predicting.delete(key));
      this.predicting.set(key, replaying);
    }
    const replayed = await replaying;
    this.predictions.set(key, replayed);
    return replayed;
  }

  /** The worker threads that run the models; the cluster planner uses them too. */
  get models(): ModelPool {
    if (!this.pool) throw new Error('analysis runner: start() first');
    return this.pool;
  }

  stats(): RunnerStats {
    return {
      ...this.counts,
      // A fit on a near node's what-ifs missed the binned cache, and was not replayed.
      predictionHits: this.predictions.hits + this.counts.predictionsNear,
      predictionMisses: this.predictions.misses - this.counts.predictionsNear,
      size: this.fits.size,
    };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
