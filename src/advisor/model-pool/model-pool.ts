import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecommendationMessage } from '../../telemetry';
import type { ModelRequest } from '../domain/analyze-node';
import type { ModelledNode } from '../domain/model-cache';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';
import type { ModelReply, ModelResult, ModelTask } from './model-job';

/** Lower goes first, compared element by element. Read when a worker frees up, not when queued. */
export type Priority = readonly number[];

const before = (a: Priority, b: Priority) => {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
};

type Kind = ModelTask['kind'];
type TaskOf<K extends Kind> = Extract<ModelTask, { kind: K }>;
/** A task's result, with the worker's time on it. */
type ResultOf<K extends Kind> = Extract<ModelResult, { kind: K }> & { ms: number };

/** One worker, held by one caller until released: the tasks it runs go one after the other. */
export interface Lease {
  run<K extends Kind>(task: TaskOf<K>): Promise<ResultOf<K>>;
  release(): void;
}

interface Waiting {
  priority: () => Priority;
  grant: (lease: Lease) => void;
}

/**
 * The models run on worker threads: a fit and its replays take seconds of CPU, and on the main
 * thread they would stall ingestion, heartbeats to Kafka and the API. A caller waits for a worker
 * (`acquire`) and holds it while it runs its tasks. When a worker frees up it goes to the waiting
 * caller whose priority — asked for then, not when it queued — comes first: a node's priority
 * changes while it waits (its findings change; a newer window is merged into its waiting one),
 * and the choice is made on what holds when the work begins.
 */
export class ModelPool {
  private readonly workers: Worker[];
  private readonly free: number[];
  private readonly waiting: Waiting[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (r: ModelReply) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;

  constructor(size: number) {
    if (!(size >= 1)) throw new Error(`analysis workers: expected ≥ 1, got ${size}`);
    this.free = Array.from({ length: size }, (_, w) => w);
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(join(__dirname, 'model-worker.js'));
      worker.on('message', (reply: ModelReply) => {
        const p = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        p?.resolve(reply);
      });
      worker.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return worker;
    });
  }

  /**
   * Resolves with a worker when one is free and no waiting caller comes before this one. Aborted
   * while it waits, it leaves the queue and rejects; aborted once granted, the lease is the
   * caller's to release.
   */
  acquire(priority: () => Priority, signal?: AbortSignal): Promise<Lease> {
    return new Promise((grant, reject) => {
      const entry: Waiting = { priority, grant };
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiting.indexOf(entry);
          if (i < 0) return;
          this.waiting.splice(i, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('model pool: stopped waiting'));
        },
        { once: true },
      );
      this.waiting.push(entry);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.free.length > 0 && this.waiting.length > 0) {
      let best = 0;
      let bestPriority = this.waiting[0]!.priority();
      for (let i = 1; i < this.waiting.length; i++) {
        const p = this.waiting[i]!.priority();
        if (before(p, bestPriority)) [best, bestPriority] = [i, p];
      }
      const [chosen] = this.waiting.splice(best, 1);
      chosen!.grant(this.lease(this.free.shift()!));
    }
  }

  private lease(w: number): Lease {
    let released = false;
    return {
      run: (task) =>
        new Promise((resolve, reject) => {
          if (released) return reject(new Error('model pool: a task on a released worker'));
          const id = this.nextId++;
          this.pending.set(id, {
            resolve: (reply) => {
              if (!reply.ok) return reject(new Error(`model worker: ${reply.error}`));
              if (reply.kind !== task.kind)
                return reject(new Error(`model worker: answered ${reply.kind} to ${task.kind}`));
              resolve(reply as unknown as ResultOf<typeof task.kind>);
            },
            reject,
          });
          this.workers[w]!.postMessage({ ...task, id });
        }),
      release: () => {
        if (released) return;
        released = true;
        this.free.push(w);
        this.dispatch();
      },
    };
  }

  /** Callers waiting for a worker (not counting those holding one). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs one task on the first free worker, behind waiting callers of a higher priority. */
  async once<K extends Kind>(task: TaskOf<K>, priority: Priority): Promise<ResultOf<K>> {
    const lease = await this.acquire(() => priority);
    try {
      return await lease.run(task);
    } finally {
      lease.release();
    }
  }

  /** A node's fit and what-ifs in one go, on one worker (the replay command's, without caches). */
  async model(request: ModelRequest, priority: Priority = [2]): Promise<ModelledNode> {
    const lease = await this.acquire(() => priority);
    try {
      const { calibration } = await lease.run({ kind: 'calibrate', request });
      const { oversubscribed, worst } = request;
      const { predictions } = await lease.run({ kind: 'predict', calibration, oversubscribed, worst });
      return { calibration, predictions };
    } finally {
      lease.release();
    }
  }

  /** A cluster plan: behind the nodes waiting for a first or changed prediction, ahead of steady ones. */
  async plan(nodes: PlannerNode[], options: PlannerOptions): Promise<RecommendationMessage[]> {
    return (await this.once({ kind: 'plan', nodes, options }, [1])).moves;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
