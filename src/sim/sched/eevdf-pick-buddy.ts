import type { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';
import { clearBuddies } from './cfs';
import { EevdfScheduler } from './eevdf';

/** Linux ≥ 6.14 (PICK_BUDDY on): pick_next_entity() runs the next buddy first, but only if it is eligible. */
export class EevdfPickBuddyScheduler extends EevdfScheduler {
  override readonly name: string = 'eevdf-6.14';

  override pick(rq: RunQueue): Thread | null {
    const buddy = rq.next;
    if (buddy && this.eligible(rq, buddy)) {
      clearBuddies(rq, buddy);
      return buddy;
    }
    return super.pick(rq);
  }
}

/**
 * Linux 6.19, commit 79104becf42b ("sched/fair: Forfeit vruntime on yield"): yield_task_fair()
 * replaces `se->deadline += slice` with, only if the yielder is eligible, `se->vruntime =
 * se->deadline; se->deadline += slice` — it forfeits the rest of its request. An ineligible
 * yielder keeps both (the condition stops a core-scheduling loop from running vruntime away).
 */
export class EevdfYieldForfeitScheduler extends EevdfPickBuddyScheduler {
  override readonly name = 'eevdf-6.19';

  override yieldTask(rq: RunQueue, t: Thread): void {
    if (rq.threads.length === 1) return;
    clearBuddies(rq, t);
    if (!this.eligible(rq, t)) return;
    t.vruntime = t.deadline;
    t.deadline += this.sliceNs;
  }
}
