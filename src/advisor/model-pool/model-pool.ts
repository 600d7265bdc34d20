import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecommendationMessage } from '../../telemetry';
import type { ModelRequest } from '../domain/analyze-node';
import type { ModelledNode } from '../domain/model-cache';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';
import type { ModelJob, ModelReply } from './model-job';

type Job = ModelJob extends infer J ? (J extends ModelJob ? Omit<J, 'id'> : never) : never;

interface Pending {
  resolve: (reply: ModelReply & { ok: true }) => void;
  reject: (err: Error) => void;
}

/** FNV-1a of the job's key: alike requests go to the same worker. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The models run on worker threads: a fit and its replays take seconds of CPU, and on the main
 * thread they would stall ingestion, heartbeats to Kafka and the API.
 */
export class ModelPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(size: number) {
    if (!(size >= 1)) throw new Error(`analysis workers: expected ≥ 1, got ${size}`);
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(join(__dirname, 'model-worker.js'));
      worker.on('message', (reply: ModelReply) => {
        const p = this.pending.get(reply.id);
        if (!p) return;
        this.pending.delete(reply.id);
        if (!reply.ok) return p.reject(new Error(`model worker: ${reply.error}`));
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

  /** Fits a node and replays its what-ifs on a worker; nodes of one fingerprint go to one worker. */
  async model(request: ModelRequest): Promise<ModelledNode> {
    const reply = await this.run({ kind: 'model', request }, request.key);
    if (reply.kind !== 'model') throw new Error('model worker: answered a plan to a model request');
    return reply.modelled;
  }

  async plan(nodes: PlannerNode[], options: PlannerOptions): Promise<RecommendationMessage[]> {
    const reply = await this.run({ kind: 'plan', nodes, options }, 'cluster planner');
    if (reply.kind !== 'plan') throw new Error('model worker: answered an analysis to a plan');
    return reply.moves;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
