import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../host/runqueue';
import { Thread } from '../host/thread';
import { EevdfScheduler } from './eevdf';
import { withDelayDequeue } from './eevdf-delay-dequeue';
import { withPickBuddy } from './eevdf-pick-buddy';
import { withVcpuDebooster } from './eevdf-vcpu-debooster';
import { withYieldForfeit } from './eevdf-yield-forfeit';

const EevdfPickBuddyScheduler = withPickBuddy(EevdfScheduler);
const EevdfYieldForfeitScheduler = withYieldForfeit(EevdfPickBuddyScheduler);
const Delayed = withDelayDequeue(EevdfScheduler);
const DelayedPickBuddy = withPickBuddy(Delayed);

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

  it('reweight_eevdf() (eab03c23c2a1): a group entity keeps its weighted lag and V stays put', () => {
    const e = new EevdfScheduler(8);
    const { rq, t } = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    const v = e.averageVruntime(rq);
    const lag = (t[1]!.vruntime - v) * t[1]!.weight;
    const toDeadline = (t[1]!.deadline - v) * t[1]!.weight;
    e.reweight(rq, t[1]!, 512);
    assert.ok(Math.abs(e.averageVruntime(rq) - v) < 1e-3, 'V unchanged');
    assert.ok(Math.abs((t[1]!.vruntime - v) * 512 - lag) < 1, 'w·(v − V) unchanged');
    assert.ok(Math.abs((t[1]!.deadline - v) * 512 - toDeadline) < 1, 'w·(d − V) unchanged');
    // A lighter entity sits twice as far below V: it stays eligible and its deadline moves out.
    assert.equal(t[1]!.vruntime, v - 2 * (v - 4e6));
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

describe('semantics-aware v1: the vCPU debooster in yield_to_task_fair', () => {
  const Deboost = withVcpuDebooster(EevdfPickBuddyScheduler);
  const gran = new Deboost(8).sliceNs;

  it('penalises the yielder by gran + 1.1 × need, capped at 6 × gran for two queued tasks', () => {
    const e = new Deboost(8);
    // Target 1 ms ahead: 3 + 1.1 = 4.1 ms, under the cap of 18 ms.
    const { rq, t } = rqWith([
      [4, 6],
      [5, 8],
    ]);
    e.yieldToTask(rq, t[0]!, rq, t[1]!, 10_000_000);
    assert.equal(rq.next, t[1], 'the buddy stays: the penalty sustains it');
    assert.equal(t[0]!.vruntime, 4e6 + gran + 1.1e6);
    assert.equal(
      t[0]!.deadline,
      t[0]!.vruntime + gran + gran,
      'deadline = vruntime + slice, then the yield’s slice',
    );
    // Far behind: capped at 6 × gran.
    const far = rqWith([
      [0, 1],
      [100, 101],
    ]);
    new Deboost(8).yieldToTask(far.rq, far.t[0]!, far.rq, far.t[1]!, 10_000_000);
    assert.equal(far.t[0]!.vruntime, 6 * gran);
  });

  it('applies once per 6 ms per CPU (every call refreshes the limit), and only on the yielder’s runqueue', () => {
    const e = new Deboost(8);
    const { rq, t } = rqWith([
      [4, 6],
      [5, 8],
    ]);
    e.yieldToTask(rq, t[0]!, rq, t[1]!, 10_000_000);
    const after = t[0]!.vruntime;
    e.yieldToTask(rq, t[0]!, rq, t[1]!, 15_000_000);
    e.yieldToTask(rq, t[0]!, rq, t[1]!, 20_000_000);
    assert.equal(t[0]!.vruntime, after, '5 ms after the previous call each time: limited');
    e.yieldToTask(rq, t[0]!, rq, t[1]!, 27_000_000);
    assert.ok(t[0]!.vruntime > after, '7 ms after the previous call: applied');
    const other = rqWith([[4, 6]]);
    const remote = new Thread(9, 9, [1]);
    remote.vruntime = 5e6;
    const away = new RunQueue(1);
    away.add(remote);
    e.yieldToTask(other.rq, other.t[0]!, away, remote, 100_000_000);
    assert.equal(other.t[0]!.vruntime, 4e6, 'target on another CPU: buddy only');
    assert.equal(away.next, remote);
  });

  it('never reaches its reverse-pair debounce: the same CPU’s 6 ms limiter stops B → A within 600 µs first', () => {
    const e = new Deboost(8);
    const { rq, t } = rqWith([
      [4, 6],
      [5, 8],
    ]);
    e.yieldToTask(rq, t[0]!, rq, t[1]!, 10_000_000);
    const b = t[1]!.vruntime;
    e.yieldToTask(rq, t[1]!, rq, t[0]!, 10_300_000);
    assert.equal(t[1]!.vruntime, b);
  });
});

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
    assert.equal(e.averageVruntime(rq), 7e6, 'V still counts it');
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
    assert.equal(t[0]!.vlag, -3e6, 'V − v = −3 ms, kept');
    // Migration (a load balance moving a delayed task) keeps the lag as it is.
    const m = rqWith([
      [10, 11],
      [4, 9],
      [7, 8],
    ]);
    m.t[1]!.delayed = true;
    e.unplace(m.rq, m.t[1]!, true);
    assert.equal(m.t[1]!.vlag, 3e6);
  });

  it('requeue_delayed_entity(): woken while still ineligible, it keeps vruntime and deadline (no placement); once V has passed it, it is placed at V with a new request', () => {
    const e = new Delayed(8);
    const { rq, t } = rqWith([
      [4, 9],
      [7, 8],
      [10, 11],
    ]);
    e.requeue(rq, t[2]!);
    assert.deepEqual([t[2]!.vruntime, t[2]!.deadline], [10e6, 11e6], 'lag −3 ms: left where it was');
    // The others have run on: V without it is 12 ms, above its 10 ms.
    t[0]!.vruntime = 11e6;
    t[1]!.vruntime = 13e6;
    e.requeue(rq, t[2]!);
    assert.equal(t[2]!.vruntime, 12e6, 'placed at V with lag 0');
    assert.equal(t[2]!.deadline, 12e6 + e.sliceNs, 'a new request from there');
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
