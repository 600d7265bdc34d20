import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../host/runqueue';
import { Thread } from '../host/thread';
import { CfsScheduler } from './cfs';
import { CfsWithDebooster } from './cfs-debooster';

/** A runqueue holding threads with the given vruntimes (ms); the first is curr. */
function rqWith(...vruntimesMs: number[]): { rq: RunQueue; t: Thread[] } {
  const rq = new RunQueue(0);
  const t = vruntimesMs.map((v, i) => {
    const th = new Thread(i, i, [0]);
    th.vruntime = v * 1e6;
    rq.add(th);
    return th;
  });
  rq.curr = t[0]!;
  return { rq, t };
}

describe('CFS 5.6 pick_next_entity', () => {
  // 8 pCPUs: factor 1 + log2(8) = 4 → wakeup_gran 4 ms, latency 24 ms, min granularity 3 ms.
  const cfs = new CfsScheduler(8);

  it('scales the tunables logarithmically with the CPU count', () => {
    assert.equal(cfs.wakeupGranularityNs, 4_000_000);
    assert.equal(cfs.latencyNs, 24_000_000);
    assert.equal(new CfsScheduler(2).wakeupGranularityNs, 2_000_000);
    assert.equal(new CfsScheduler(64).wakeupGranularityNs, 4_000_000);
  });

  it('honours the next buddy within wakeup_gran of the leftmost', () => {
    const { rq, t } = rqWith(10, 5, 8.9);
    rq.next = t[2]!;
    assert.equal(cfs.pick(rq), t[2], '8.9 − 5 = 3.9 ms ≤ 4 ms');
    assert.equal(rq.next, null, 'the buddy is cleared once picked');
  });

  it('ignores the next buddy more than wakeup_gran ahead (the scheduler mismatch)', () => {
    const { rq, t } = rqWith(10, 5, 9.1);
    rq.next = t[2]!;
    assert.equal(cfs.pick(rq), t[1], '9.1 − 5 = 4.1 ms > 4 ms: the leftmost runs');
  });

  it('skips the skip buddy for the second-leftmost only within wakeup_gran', () => {
    const near = rqWith(5, 8, 20);
    near.rq.skip = near.t[0]!;
    assert.equal(cfs.pick(near.rq), near.t[1], 'second is 3 ms behind: taken');
    const far = rqWith(5, 9.5, 20);
    far.rq.skip = far.t[0]!;
    assert.equal(cfs.pick(far.rq), far.t[0], 'second is 4.5 ms behind: the yielder runs again');
  });

  it('yield_to sets the next buddy on the target runqueue and the yielder as skip buddy', () => {
    const { rq, t } = rqWith(5, 6, 7);
    assert.equal(cfs.yieldToTask(rq, t[0]!, rq, t[2]!, 0), true);
    assert.equal(rq.next, t[2]);
    assert.equal(rq.skip, t[0]);
    assert.equal(cfs.pick(rq), t[2]);
  });

  it('the debooster raises the yielder to target − wakeup_gran when the target is further ahead', () => {
    const deboost = new CfsWithDebooster(8);
    // Spinner at 5 ms, target 7 ms ahead. Stock CFS ignores the buddy and, the second entity being
    // too far behind, runs the spinner again; with the debooster the spinner sits at 12 − 4 = 8 ms.
    const stock = rqWith(5, 12);
    cfs.yieldToTask(stock.rq, stock.t[0]!, stock.rq, stock.t[1]!, 0);
    assert.equal(cfs.pick(stock.rq), stock.t[0], 'stock: the spinner spins again');
    const { rq, t } = rqWith(5, 12);
    deboost.yieldToTask(rq, t[0]!, rq, t[1]!, 0);
    assert.equal(t[0]!.vruntime, 12e6 - 4e6, 'spinner moved to 8 ms');
    assert.equal(deboost.pick(rq), t[1], 'the target is now within wakeup_gran of the leftmost');
    const within = rqWith(5, 6, 8);
    deboost.yieldToTask(within.rq, within.t[0]!, within.rq, within.t[2]!, 0);
    assert.equal(within.t[0]!.vruntime, 5e6, 'target only 3 ms ahead: the spinner is left alone');
    const other = new RunQueue(1);
    const remote = new Thread(9, 9, [1]);
    remote.vruntime = 30e6;
    other.add(remote);
    const same = rqWith(5, 6);
    deboost.yieldToTask(same.rq, same.t[0]!, other, remote, 0);
    assert.equal(same.t[0]!.vruntime, 5e6, 'different runqueues: no debooster');
  });

  it('check_preempt_tick preempts after the ideal slice', () => {
    const { rq, t } = rqWith(5, 5);
    t[0]!.execAtPickNs = 0;
    t[0]!.sumExecNs = 11e6;
    assert.equal(cfs.tick(rq), false, '2 tasks: slice 12 ms, 11 ms ran');
    t[0]!.sumExecNs = 12.5e6;
    assert.equal(cfs.tick(rq), true);
  });
});

describe('CFS 5.6 check_preempt_wakeup buddies', () => {
  const cfs = new CfsScheduler(8);

  it('a woken task that preempts becomes the next buddy; curr the last buddy only from sched_nr_latency tasks', () => {
    // wakeup_gran 4 ms: a task woken 5 ms of vruntime behind curr preempts it.
    const few = rqWith(20, 30, 15);
    assert.equal(cfs.wakeupPreempts(few.rq, few.t[2]!), true);
    assert.equal(few.rq.next, few.t[2], 'set_next_buddy(pse) on wakeup preemption');
    assert.equal(few.rq.last, null, '3 tasks < sched_nr_latency (8): no last buddy');
    const many = rqWith(20, 30, 30, 30, 30, 30, 30, 15);
    assert.equal(cfs.wakeupPreempts(many.rq, many.t[7]!), true);
    assert.equal(many.rq.next, many.t[7]);
    assert.equal(many.rq.last, many.t[0], '8 tasks: curr is the last buddy');
  });

  it('a woken task within wakeup_gran does not preempt and sets no buddy', () => {
    const { rq, t } = rqWith(20, 30, 17);
    assert.equal(cfs.wakeupPreempts(rq, t[2]!), false);
    assert.equal(rq.next, null);
    assert.equal(rq.last, null);
  });
});
