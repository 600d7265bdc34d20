import { parentPort } from 'node:worker_threads';
import { modelNode } from '../domain/analyze-node';
import { planMoves } from '../planner/plan-moves';
import type { ModelJob, ModelReply } from './model-job';

/** A worker thread that runs the models: fits with their what-ifs, and cluster plans. */
parentPort!.on('message', (job: ModelJob) => {
  let reply: ModelReply;
  const start = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
  try {
    reply =
      job.kind === 'model'
        ? { id: job.id, ok: true, kind: 'model', modelled: modelNode(job.request), ms: ms() }
        : { id: job.id, ok: true, kind: 'plan', moves: planMoves(job.nodes, job.options), ms: ms() };
  } catch (err) {
    reply = { id: job.id, ok: false, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
