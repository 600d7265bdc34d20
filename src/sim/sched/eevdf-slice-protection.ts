import type { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';
import { clearBuddies } from './cfs';
import type { EevdfClass } from './eevdf-pick-buddy';

/**
 * Slice protection by se->vprot, mainline 6.17 (Vincent Guittot's run-to-parity series:
 * 74eec63661d4 "sched/fair: Fix NO_RUN_TO_PARITY case", 052c3d87c82e "Limit run to parity to the
 * min slice of enqueued entities", 0b9ca2dcabc3 "Always trigger resched at the end of a protected
 * period"; 9cdb4fe20cd2, the protect_slice() helper alone, reached 6.12.81 as a dependency and
 * changes nothing there):
 * - set_protect_slice() at set_next_entity(): vprot = min(deadline, vruntime + the shortest slice
 *   queued) — the deadline, since every modelled entity has the base slice;
 * - protect_slice(): vruntime < vprot. A yield that pushes the deadline no longer ends the
 *   protection (6.6's test was "the deadline is the one picked with"): a yielder picked again
 *   keeps the CPU until it has run to the old deadline, unless the yield also moved its vruntime
 *   (79104becf42b, 6.19);
 * - update_curr(): with others queued, a resched at every update once the protection is over,
 *   not only when the deadline passes.
 */
export function withSliceProtection<B extends EevdfClass>(Base: B) {
  return class extends Base {
    protected override protectedSlice(t: Thread): boolean {
      return t.vruntime < t.pickedDeadline;
    }

    override charge(rq: RunQueue, t: Thread, deltaNs: number): boolean {
      if (super.charge(rq, t, deltaNs)) return true;
      if (rq.threads.length <= 1 || this.protectedSlice(t)) return false;
      clearBuddies(rq, t);
      return true;
    }
  };
}
