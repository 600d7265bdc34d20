import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecommendationMessage } from '../../telemetry';
import type { ModelRequest } from '../domain/analyze-node';
import type { ModelledNode } from '../domain/model-cache';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';
import { fnv1a } from '../fnv1a';
import type { ModelJob, ModelReply, ModelTask } from './model-job';

interface Pending {
  resolve: (reply: ModelReply & { ok: true }) => void;
  reject: (err: Error) => void;
}

/**
 * The models run on worker threads: a fit and its replays take seconds of CPU, and on the main
 * thread they would stall ingestion, heartbeats to Kafka and the API. Each worker takes one job
 * at a time from its own queue, where urgent jobs (a node whose findings changed, or never
 * modelled) go ahead of the others: when the models cannot keep up, those are predicted first.
 */
export class ModelPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly queues: { job: ModelJob; urgent: boolean }[][];
  private readonly busy: boolean[];
  private nextId = 1;

  constructor(size: number) {
    if (!(size >= 1)) throw new Error(`analysis workers: expected ≥ 1, got ${size}`);
    this.queues = Array.from({ length: size }, () => []);
    this.busy = Array.from({ length: size }, () => false);
    this.workers = Array.from({ length: size }, (_, w) => {
      const worker = new Worker(join(__dirname, 'model-worker.js'));
      worker.on('message', (reply: ModelReply) => {
        this.busy[w] = false;
        this.pump(w);
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

  /** Alike requests (same key) go to the same worker; an urgent one goes behind the urgent ones only. */
  private run(task: ModelTask, key: string, urgent: boolean): Promise<ModelReply & { ok: true }> {
    const id = this.nextId++;
    const w = fnv1a(key) % this.workers.length;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const queue = this.queues[w]!;
      const at = urgent ? queue.findIndex((q) => !q.urgent) : -1;
      const entry = { job: { ...task, id } satisfies ModelJob, urgent };
      if (at < 0) queue.push(entry);
      else queue.splice(at, 0, entry);
      this.pump(w);
    });
  }

  private pump(w: number): void {
    const next = this.busy[w] ? undefined : this.queues[w]!.shift();
    if (!next) return;
    this.busy[w] = true;
    this.workers[w]!.postMessage(next.job);
  }

  /** Jobs waiting for a worker (not counting those running). */
  get queued(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** Fits a node and replays its what-ifs on a worker; nodes of one fingerprint go to one worker. */
  async model(request: ModelRequest, urgent = false): Promise<ModelledNode> {
    const reply = await this.run({ kind: 'model', request }, request.key, urgent);
    if (reply.kind !== 'model') throw new Error('model worker: answered a plan to a model request');
    return reply.modelled;
  }

  async plan(nodes: PlannerNode[], options: PlannerOptions): Promise<RecommendationMessage[]> {
    const reply = await this.run({ kind: 'plan', nodes, options }, 'cluster planner', false);
    if (reply.kind !== 'plan') throw new Error('model worker: answered an analysis to a plan');
    return reply.moves;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
