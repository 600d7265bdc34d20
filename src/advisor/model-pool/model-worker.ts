import { parentPort } from 'node:worker_threads';
import { calibrateNode, replayWhatIfs } from '../domain/analyze-node';
import { planMoves } from '../planner/plan-moves';
import type { ModelJob, ModelReply, ModelResult } from './model-job';

function perform(job: ModelJob): ModelResult {
  switch (job.kind) {
    case 'calibrate':
      return { kind: 'calibrate', calibration: calibrateNode(job.request) };
    case 'predict':
      return { kind: 'predict', ...replayWhatIfs(job.calibration, job.oversubscribed, job.worst) };
    case 'plan':
      return { kind: 'plan', moves: planMoves(job.nodes, job.options) };
  }
}

/** A worker thread that runs the models: fits, what-if replays and cluster plans. */
parentPort!.on('message', (job: ModelJob) => {
  let reply: ModelReply;
  const start = process.hrtime.bigint();
  try {
    const result = perform(job);
    reply = { id: job.id, ok: true, ms: Number(process.hrtime.bigint() - start) / 1e6, ...result };
  } catch (err) {
    reply = { id: job.id, ok: false, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
