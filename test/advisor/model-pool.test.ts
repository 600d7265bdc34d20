import assert from 'node:assert/strict';
import { it } from 'node:test';
import { prepareAnalysis } from '../../src/advisor/domain/analyze-node';
import { ModelPool } from '../../src/advisor/model-pool/model-pool';
import { tinyInventory, tinySample } from '../support/tiny-node';

it('a worker takes one job at a time, urgent ones (findings changed) ahead of those waiting', async () => {
  const pool = new ModelPool(1);
  try {
    const baseMs = Date.now() - 600_000;
    const request = (node: string) =>
      prepareAnalysis(
        tinyInventory(node, 4),
        Array.from({ length: 6 }, (_, seq) => tinySample(node, seq, baseMs, 4)),
      ).request;
    const done: string[] = [];
    const job = (name: string, urgent: boolean) =>
      pool.model(request(name), urgent).then(() => void done.push(name));
    const jobs = [job('steady-1', false), job('steady-2', false), job('steady-3', false)];
    assert.equal(pool.queued, 2, 'the first runs, two wait');
    jobs.push(job('changed', true));
    await Promise.all(jobs);
    assert.deepEqual(done, ['steady-1', 'changed', 'steady-2', 'steady-3']);
  } finally {
    await pool.close();
  }
});
