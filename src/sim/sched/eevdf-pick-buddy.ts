import type { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';
import { clearBuddies } from './cfs';
import type { EevdfScheduler } from './eevdf';

// TypeScript requires a mixin's base constructor to take `...any[]` (TS2545).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EevdfClass = new (...args: any[]) => EevdfScheduler;

/**
 * PICK_BUDDY, commit 2a77e4be12cb ("sched/fair: Untangle NEXT_BUDDY and pick_next_task()"),
 * mainline 6.14, stable 6.12.13 and 6.13.2: pick_next_entity() runs cfs_rq->next first when it
 * is eligible. Before it, the pick tested NEXT_BUDDY (off by default), so the next buddy
 * yield_to_task_fair() sets was ignored from 6.6 on.
 *
 * NEXT_BUDDY itself (wakeup preemption setting the next buddy) stays off in every release
 * modelled: 6.19's merge window turned it on (e837456fdca8 "sched/fair: Enable scheduler feature
 * NEXT_BUDDY", with aceccac58ad7 reimplementing it for EEVDF), and 4f70f106bca1 ("sched/fair:
 * Disable scheduler feature NEXT_BUDDY", tip sched/urgent 2026-01-23, merged before 6.19-rc7)
 * turned it off again, so 6.19 final ships it off. yield_to's buddy is set regardless of it.
 */
export function withPickBuddy<B extends EevdfClass>(Base: B) {
  return class extends Base {
    override pick(rq: RunQueue): Thread | null {
      const buddy = rq.next;
      if (buddy && this.eligible(rq, buddy)) {
        clearBuddies(rq, buddy);
        return buddy;
      }
      return super.pick(rq);
    }
  };
}
