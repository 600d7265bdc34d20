import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../host/runqueue';
import { Thread } from '../host/thread';
import { EevdfScheduler } from './eevdf';
import { withDelayDequeue } from './eevdf-delay-dequeue';
import { withPickBuddy } from './eevdf-pick-buddy';

const Delayed = withDelayDequeue(EevdfScheduler);
const DelayedPickBuddy = withPickBuddy(Delayed);
const MS = 1e6;

/** A runqueue of entities at [vruntime, deadline] ms; the first runs. */
function rqWith(entries: [number, number][]): { rq: RunQueue; t: Thread[] } {
  const rq = new RunQueue(0);
  const t = entries.map(([v, d], i) => {
    const th = new Thread(i, i, [0]);
    th.vruntime = v * MS;
    th.deadline = d * MS;
    rq.add(th);
    return th;
  });
  rq.curr = t[0]!;
  return { rq, t };
}

describe('DELAY_DEQUEUE / DELAY_ZERO (152e11f6df29, 54a58a787791; 6.12+)', () => {
  it('dequeue_entity(DEQUEUE_SLEEP): an ineligible entity that blocks stays queued and still counts in V; an eligible one leaves', () => {
    const e = new Delayed(8);
    // V = (10 + 4 + 7) / 3 = 7: t0 (10) has received more than its share.
    const { rq, t } = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    rq.next = t[0]!;
    assert.equal(e.delaysDequeue(rq, t[0]!), true);
    assert.equal(rq.next, null, 'a delayed entity is never the next buddy');
    assert.equal(e.averageVruntime(rq), 7 * MS, 'V still counts it');
    assert.equal(e.delaysDequeue(rq, t[1]!), false, 'an eligible entity is dequeued at once');
    assert.equal(new EevdfScheduler(8).delaysDequeue(rq, t[0]!), false, '6.6–6.11 never delay');
  });

  it('finish_delayed_dequeue_entity(): a positive lag saved at the real dequeue is cut to 0, a negative one kept', () => {
    const e = new Delayed(8);
    const { rq, t } = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    t[1]!.delayed = true;
    e.unplace(rq, t[1]!, false);
    assert.equal(t[1]!.vlag, 0, 'V − v = 3 ms, dropped');
    t[0]!.delayed = true;
    e.unplace(rq, t[0]!, false);
    assert.equal(t[0]!.vlag, -3 * MS, 'V − v = −3 ms, kept');
    // Migration (a load balance moving a delayed task) keeps the lag as it is.
    const m = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    m.t[1]!.delayed = true;
    e.unplace(m.rq, m.t[1]!, true);
    assert.equal(m.t[1]!.vlag, 3 * MS);
  });

  it('requeue_delayed_entity(): woken while still ineligible, it keeps vruntime and deadline (no placement); once V has passed it, it is placed at V with a new request', () => {
    const e = new Delayed(8);
    const { rq, t } = rqWith([
      [4, 9],
      [7, 8],
      [10, 11],
    ]);
    e.requeue(rq, t[2]!);
    assert.deepEqual([t[2]!.vruntime, t[2]!.deadline], [10 * MS, 11 * MS], 'lag −3 ms: left where it was');
    // The others have run on: V without it is 12 ms, above its 10 ms.
    t[0]!.vruntime = 11 * MS;
    t[1]!.vruntime = 13 * MS;
    e.requeue(rq, t[2]!);
    assert.equal(t[2]!.vruntime, 12 * MS, 'placed at V with lag 0');
    assert.equal(t[2]!.deadline, 12 * MS + e.sliceNs, 'a new request from there');
    assert.equal(t[2]!.vlag, 0);
  });

  it('a delayed vCPU moves V, and so decides whether yield_to’s buddy is eligible for PICK_BUDDY', () => {
    const e = new DelayedPickBuddy(8);
    // The spinner (curr) and a sibling at 3 ms, the boosted target at 6 ms: V = 4 ms, the target is
    // not eligible and pick_eevdf runs the sibling.
    const without = rqWith([
      [3, 5],
      [6, 7],
      [3, 4],
    ]);
    without.rq.next = without.t[1]!;
    assert.equal(e.pick(without.rq), without.t[2]);
    // The same runqueue with a halted vCPU still delayed at 12 ms: V = 6 ms, the target is eligible.
    const withDelayed = rqWith([
      [3, 5],
      [6, 7],
      [3, 4],
      [12, 13],
    ]);
    withDelayed.t[3]!.delayed = true;
    withDelayed.rq.next = withDelayed.t[1]!;
    assert.equal(e.pick(withDelayed.rq), withDelayed.t[1]);
  });
});
