import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../host/runqueue';
import { Thread } from '../host/thread';
import { EevdfScheduler } from './eevdf';
import { withPickBuddy } from './eevdf-pick-buddy';
import { withYieldForfeit } from './eevdf-yield-forfeit';

const EevdfPickBuddyScheduler = withPickBuddy(EevdfScheduler);
const EevdfYieldForfeitScheduler = withYieldForfeit(EevdfPickBuddyScheduler);

function rqWith(entries: [number, number][]): { rq: RunQueue; t: Thread[] } {
  const rq = new RunQueue(0);
  const t = entries.map(([vruntimeMs, deadlineMs], i) => {
    const th = new Thread(i, i, [0]);
    th.vruntime = vruntimeMs * 1e6;
    th.deadline = deadlineMs * 1e6;
    rq.add(th);
    return th;
  });
  rq.curr = t[0]!;
  return { rq, t };
}

describe('EEVDF', () => {
  it('picks the earliest deadline among eligible entities (vruntime ≤ average)', () => {
    const e = new EevdfScheduler(8);
    // V = (10 + 4 + 7) / 3 = 7: t0 (10) is not eligible; t1 and t2 are; t2 has the earlier deadline.
    const { rq, t } = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    assert.equal(e.pick(rq), t[2]);
  });

  it('6.6–6.13 ignore yield_to’s next buddy', () => {
    const e = new EevdfScheduler(8);
    const { rq, t } = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    rq.next = t[1]!;
    assert.equal(e.pick(rq), t[2]);
  });

  it('≥ 6.14 picks the next buddy only if it is eligible', () => {
    const e = new EevdfPickBuddyScheduler(8);
    const eligible = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    eligible.rq.next = eligible.t[1]!;
    assert.equal(e.pick(eligible.rq), eligible.t[1], 'buddy at 4 ≤ V = 7');
    const ineligible = rqWith([
      [5, 11],
      [4, 9],
      [12, 13],
    ]);
    ineligible.rq.next = ineligible.t[2]!;
    assert.equal(e.pick(ineligible.rq), ineligible.t[1], 'buddy at 12 > V = 7: normal pick');
  });

  it('yield pushes the deadline by a slice; 6.19 also forfeits an eligible yielder’s vruntime', () => {
    const old = new EevdfScheduler(8);
    const slice = old.sliceNs;
    assert.equal(slice, 3_000_000, '0.75 ms × 4');
    const a = rqWith([
      [4, 6],
      [8, 9],
    ]);
    old.yieldTask(a.rq, a.t[0]!);
    assert.deepEqual([a.t[0]!.vruntime, a.t[0]!.deadline], [4e6, 6e6 + slice]);
    const forfeit = new EevdfYieldForfeitScheduler(8);
    const b = rqWith([
      [4, 6],
      [8, 9],
    ]);
    forfeit.yieldTask(b.rq, b.t[0]!);
    assert.deepEqual([b.t[0]!.vruntime, b.t[0]!.deadline], [6e6, 6e6 + slice]);
  });

  it('keeps a sleeper’s lag across the sleep', () => {
    const e = new EevdfScheduler(8);
    const { rq, t } = rqWith([
      [5, 6],
      [9, 10],
    ]);
    e.unplace(rq, t[0]!, false);
    rq.remove(t[0]!);
    assert.equal(t[0]!.vlag, 2e6, 'V = 7, vruntime 5: lag +2 ms');
    rq.add(t[0]!);
    e.place(rq, t[0]!, 0, rq);
    assert.equal(t[0]!.vruntime, 9e6 - 2 * 2e6, 'placed at V − lag, the lag inflated by (n+1)/n = 2');
  });
});

describe('EEVDF yield_task_fair', () => {
  // V = (4 + 10) / 2 = 7: t0 (vruntime 4) is eligible, t1 (10) is not.
  const yieldOf = (e: EevdfScheduler, who: 0 | 1) => {
    const { rq, t } = rqWith([
      [4, 6],
      [10, 12],
    ]);
    e.yieldTask(rq, t[who]!);
    return [t[who]!.vruntime / 1e6, t[who]!.deadline / 1e6];
  };
  const slice = new EevdfScheduler(8).sliceNs / 1e6;

  it('6.6–6.18 push every yielder’s deadline one slice on and keep its vruntime', () => {
    assert.deepEqual(yieldOf(new EevdfPickBuddyScheduler(8), 0), [4, 6 + slice]);
    assert.deepEqual(yieldOf(new EevdfPickBuddyScheduler(8), 1), [10, 12 + slice]);
  });

  it('6.19 forfeits an eligible yielder’s vruntime to its deadline; an ineligible one keeps both', () => {
    assert.deepEqual(yieldOf(new EevdfYieldForfeitScheduler(8), 0), [6, 6 + slice]);
    assert.deepEqual(yieldOf(new EevdfYieldForfeitScheduler(8), 1), [10, 12]);
  });
});
