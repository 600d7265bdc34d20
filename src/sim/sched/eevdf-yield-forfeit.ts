import type { RunQueue } from '../host/runqueue';
import { vtime, type Thread } from '../host/thread';
import { clearBuddies } from './cfs';
import type { EevdfClass } from './eevdf-pick-buddy';

/**
 * Commit 79104becf42b ("sched/fair: Forfeit vruntime on yield"), mainline 6.19, stable 6.17.13 and
 * 6.18.2: yield_task_fair() replaces `se->deadline += slice` with, only if the yielder is eligible,
 * `se->vruntime = se->deadline; se->deadline += slice` — it forfeits the rest of its request. An
 * ineligible yielder keeps both (the condition stops a core-scheduling loop from running vruntime away).
 */
export function withYieldForfeit<B extends EevdfClass>(Base: B) {
  return class extends Base {
    override yieldTask(rq: RunQueue, t: Thread): void {
      if (rq.threads.length === 1) return;
      clearBuddies(rq, t);
      if (!this.eligible(rq, t)) return;
      t.vruntime = t.deadline;
      t.deadline += vtime(this.sliceNs, t);
    }
  };
}
