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

/** Linux 6.19: yield_task_fair() also forfeits an eligible yielder's vruntime to its deadline. */
export class EevdfYieldForfeitScheduler extends EevdfPickBuddyScheduler {
  override readonly name = 'eevdf-6.19';

  override yieldTask(rq: RunQueue, t: Thread): void {
    if (rq.threads.length === 1) return;
    if (this.eligible(rq, t)) t.vruntime = t.deadline;
    super.yieldTask(rq, t);
  }
}
