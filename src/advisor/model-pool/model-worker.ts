import { parentPort } from 'node:worker_threads';
import { analyzeNode } from '../domain/analyze-node';
import { ModelCache } from '../domain/model-cache';
import { planMoves } from '../planner/plan-moves';
import type { ModelJob, ModelReply } from './model-job';

/** A worker thread that runs the models (analyses and plans), with a model cache of its own. */
const cache = new ModelCache();
parentPort!.on('message', (job: ModelJob) => {
  let reply: ModelReply;
  const start = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
  try {
    if (job.kind === 'analyse') {
      const result = analyzeNode(job.inventory, job.samples, { cache, hint: job.hint });
      reply = {
        id: job.id,
        ok: true,
        kind: 'analyse',
        result,
        ms: ms(),
        cache: { hits: cache.hits, misses: cache.misses, size: cache.size },
      };
    } else {
      reply = { id: job.id, ok: true, kind: 'plan', moves: planMoves(job.nodes, job.options), ms: ms() };
    }
  } catch (err) {
    reply = { id: job.id, ok: false, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
