import assert from 'node:assert/strict';
import { it } from 'node:test';
import { prepareAnalysis } from '../../src/advisor/domain/analyze-node';
import { windowSample } from '../../src/advisor/domain/window-sample';
import { ModelPool, type Priority } from '../../src/advisor/model-pool/model-pool';
import { tinyInventory, tinySample } from '../support/tiny-node';

it('a worker goes to the waiting caller that comes first when it frees up, by the priority asked then', async () => {
  const pool = new ModelPool(1);
  try {
    const baseMs = Date.now() - 600_000;
    const request = (node: string) =>
      prepareAnalysis(
        tinyInventory(node, 4),
        Array.from({ length: 6 }, (_, seq) => windowSample(tinySample(node, seq, baseMs, 4))),
      ).request;
    const done: string[] = [];
    const priorities = new Map<string, Priority>();
    const job = (name: string, priority: Priority) => {
      priorities.set(name, priority);
      return pool
        .acquire(() => priorities.get(name)!)
        .then(async (lease) => {
          try {
            await lease.run({ kind: 'calibrate', request: request(name) });
            done.push(name);
          } finally {
            lease.release();
          }
        });
    };
    const jobs = [job('steady-1', [2, 5]), job('steady-2', [2, 3]), job('steady-3', [2, 4])];
    assert.equal(pool.queued, 2, 'the first runs, two wait');
    jobs.push(job('changed', [0]));
    // steady-3's findings change while it waits: it is read when the worker frees up, not when queued.
    priorities.set('steady-3', [1]);
    await Promise.all(jobs);
    assert.deepEqual(done, ['steady-1', 'changed', 'steady-3', 'steady-2']);
  } finally {
    await pool.close();
  }
});

it("a failing task rejects with the worker's error and leaves the worker to the next caller", async () => {
  const pool = new ModelPool(1);
  try {
    const broken = { kind: 'calibrate', request: { inventory: null } } as never;
    await assert.rejects(pool.once(broken, [0]), /model worker: /);
    const baseMs = Date.now() - 600_000;
    const { request } = prepareAnalysis(
      tinyInventory('after', 4),
      Array.from({ length: 6 }, (_, seq) => windowSample(tinySample('after', seq, baseMs, 4))),
    );
    const modelled = await pool.model(request);
    assert.equal(typeof modelled.calibration.residual, 'number');
  } finally {
    await pool.close();
  }
});

it('a caller that stops waiting leaves the queue; one granted already holds its lease', async () => {
  const pool = new ModelPool(1);
  try {
    const held = await pool.acquire(() => [0]);
    const gone = new AbortController();
    const leaving = pool.acquire(() => [0], gone.signal);
    const next = pool.acquire(() => [1]);
    assert.equal(pool.queued, 2);
    gone.abort(new Error('answered elsewhere'));
    await assert.rejects(leaving, /answered elsewhere/);
    assert.equal(pool.queued, 1, 'it left the queue');
    held.release();
    const lease = await next;
    // Aborted once granted: nothing changes, the lease is still released by its holder.
    const late = new AbortController();
    const granted = pool.acquire(() => [0], late.signal);
    lease.release();
    late.abort();
    (await granted).release();
    assert.equal(pool.queued, 0);
  } finally {
    await pool.close();
  }
});
