import type { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';
import { EnqueueKind } from './host-scheduler';
import type { EevdfClass } from './eevdf-pick-buddy';

/**
 * DELAY_DEQUEUE and DELAY_ZERO, both on by default since 6.12: 152e11f6df29 ("sched/fair:
 * Implement delayed dequeue") and 54a58a787791 ("sched/fair: Implement DELAY_ZERO").
 *
 * - dequeue_entity(DEQUEUE_SLEEP): an entity that blocks while not eligible (it has received
 *   more than its share, lag < 0) is not dequeued; it stays on the runqueue as sched_delayed,
 *   clearing cfs_rq->next if it was the next buddy, and keeps counting in avg_vruntime,
 *   nr_running and the load until it is picked or woken.
 * - pick_next_entity(): when pick_eevdf() chooses a delayed entity, it is dequeued then
 *   (DEQUEUE_SLEEP | DEQUEUE_DELAYED) and the pick starts over; the host does this in schedule().
 *   finish_delayed_dequeue_entity() with DELAY_ZERO: a positive lag saved then is cut to 0.
 * - requeue_delayed_entity() (a delayed entity woken where it is queued, ENQUEUE_DELAYED): with
 *   DELAY_ZERO its lag is taken again; a positive one is dropped and the entity placed afresh at
 *   V (place_entity with lag 0, a new request); otherwise it keeps its vruntime and deadline —
 *   no placement.
 */
export function withDelayDequeue<B extends EevdfClass>(Base: B) {
  return class extends Base {
    override delaysDequeue(rq: RunQueue, t: Thread): boolean {
      if (this.eligible(rq, t)) return false;
      if (rq.next === t) rq.next = null;
      return true;
    }

    override unplace(rq: RunQueue, t: Thread, migrating: boolean): void {
      super.unplace(rq, t, migrating);
      if (t.delayed && !migrating && t.vlag > 0) t.vlag = 0;
    }

    override requeue(rq: RunQueue, t: Thread): void {
      this.updateEntityLag(rq, t);
      if (t.vlag <= 0) return;
      t.vlag = 0;
      this.place(rq, t, EnqueueKind.Wakeup, rq);
    }
  };
}
