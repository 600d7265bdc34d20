import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NodeInventory, NodeSample, RecommendationMessage } from '../../telemetry';
import type { NodeAnalysisResult } from '../domain/analyze-node';
import type { FitHint } from '../domain/calibrate';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';
import type { CacheStats, ModelJob, ModelReply } from './model-job';

type Job = ModelJob extends infer J ? (J extends ModelJob ? Omit<J, 'id'> : never) : never;

interface Pending {
  resolve: (reply: ModelReply & { ok: true }) => void;
  reject: (err: Error) => void;
}

/** FNV-1a: a node always goes to the same worker, whose cache and warm starts it then shares. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The models run on worker threads: a replay takes seconds of CPU, and on the main thread it would
 * stall ingestion, heartbeats to Kafka and the API. Each worker keeps its own model cache.
 */
export class ModelPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly stats: CacheStats[];
  private nextId = 1;

  constructor(size: number) {
    if (!(size >= 1)) throw new Error(`analysis workers: expected ≥ 1, got ${size}`);
    this.stats = Array.from({ length: size }, () => ({ hits: 0, misses: 0, size: 0 }));
    this.workers = Array.from({ length: size }, (_, i) => {
      const worker = new Worker(join(__dirname, 'model-worker.js'));
      worker.on('message', (reply: ModelReply) => {
        const p = this.pending.get(reply.id);
        if (!p) return;
        this.pending.delete(reply.id);
        if (!reply.ok) return p.reject(new Error(`model worker: ${reply.error}`));
        if (reply.kind === 'analyse') this.stats[i] = reply.cache;
        p.resolve(reply);
      });
      worker.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return worker;
    });
  }

  private run(job: Job, key: string): Promise<ModelReply & { ok: true }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[hash(key) % this.workers.length]!.postMessage({ ...job, id });
    });
  }

  async analyse(
    inventory: NodeInventory,
    samples: NodeSample[],
    hint?: FitHint,
  ): Promise<{ result: NodeAnalysisResult; ms: number }> {
    const reply = await this.run({ kind: 'analyse', inventory, samples, hint }, inventory.node);
    if (reply.kind !== 'analyse') throw new Error('model worker: answered a plan to an analysis');
    return reply;
  }

  async plan(nodes: PlannerNode[], options: PlannerOptions): Promise<RecommendationMessage[]> {
    const reply = await this.run({ kind: 'plan', nodes, options }, 'cluster planner');
    if (reply.kind !== 'plan') throw new Error('model worker: answered an analysis to a plan');
    return reply.moves;
  }

  cacheStats(): CacheStats {
    return this.stats.reduce(
      (a, s) => ({ hits: a.hits + s.hits, misses: a.misses + s.misses, size: a.size + s.size }),
      {
        hits: 0,
        misses: 0,
        size: 0,
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
