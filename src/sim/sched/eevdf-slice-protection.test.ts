import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../host/runqueue';
import { Thread } from '../host/thread';
import { EevdfScheduler } from './eevdf';
import { withSliceProtection } from './eevdf-slice-protection';

const Protected = withSliceProtection(EevdfScheduler);
const MS = 1e6;

/** curr at 4 ms picked with deadline 9 ms, beside an entity at 4 ms with deadline 10 ms. */
function pair(e: EevdfScheduler) {
  const rq = new RunQueue(0);
  const [curr, other] = [0, 1].map((id) => new Thread(id, id, [0])) as [Thread, Thread];
  curr.vruntime = 4 * MS;
  curr.deadline = 9 * MS;
  other.vruntime = 4 * MS;
  other.deadline = 10 * MS;
  rq.add(curr);
  rq.add(other);
  rq.curr = curr;
  e.picked(rq, curr);
  return { rq, curr, other };
}

describe('slice protection by vprot (74eec63661d4, 0b9ca2dcabc3; 6.17)', () => {
  it('a yield that pushes the deadline past another’s ends 6.6’s protection, not vprot’s', () => {
    for (const [e, kept] of [
      [new EevdfScheduler(8), false],
      [new Protected(8), true],
    ] as const) {
      const { rq, curr, other } = pair(e);
      e.yieldTask(rq, curr);
      assert.ok(curr.deadline > other.deadline);
      assert.equal(e.pick(rq), kept ? curr : other, e.constructor.name);
    }
  });

  it('update_curr(): once vruntime reaches vprot, a resched at every update while others wait', () => {
    for (const [e, resched] of [
      [new EevdfScheduler(8), false],
      [new Protected(8), true],
    ] as const) {
      const { rq, curr } = pair(e);
      e.yieldTask(rq, curr); // deadline 9 → 12 ms (a 3 ms slice); vprot stays 9 ms
      assert.equal(e.charge(rq, curr, 5.5 * MS), resched, 'at 9.5 ms: past vprot, before the deadline');
    }
  });
});
