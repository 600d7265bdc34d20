import type { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';

/** How a thread (re)enters a runqueue: place_entity differs for each. */
export const enum EnqueueKind {
  Wakeup = 0,
  New = 1,
  Migrate = 2,
}

/**
 * A host scheduling class over one runqueue of entities (tasks at nice 0, or a cgroup's entity
 * with its load weight). The host model calls these at the points where kernel/sched/core.c
 * calls into the class; GroupScheduler runs a class at both levels of a per-VM hierarchy.
 */
export interface HostScheduler {
  readonly name: string;
  /** CFS's set_skip_buddy() marks the yielder at every level of a cgroup hierarchy; EEVDF has no skip buddy. */
  readonly skipBuddyEveryLevel?: boolean;
  /** update_curr(): charge `deltaNs` of running to `t`; true when the class wants a reschedule. */
  charge(rq: RunQueue, t: Thread, deltaNs: number): boolean;
  /** enqueue_entity() + place_entity(); `t` is already in rq.threads; `from` is the runqueue it last left. */
  place(rq: RunQueue, t: Thread, kind: EnqueueKind, from: RunQueue): void;
  /**
   * dequeue_entity() bookkeeping before `t` leaves rq.threads (sleep or migration, or a delayed
   * entity's dequeue finished, `t.delayed` still set).
   */
  unplace(rq: RunQueue, t: Thread, migrating: boolean): void;
  /**
   * dequeue_entity(DEQUEUE_SLEEP) with DELAY_DEQUEUE: true when `t`, blocking while it runs, stays
   * on the runqueue as sched_delayed (false in every class and kernel without the feature).
   */
  delaysDequeue(rq: RunQueue, t: Thread): boolean;
  /** requeue_delayed_entity(): a delayed `t` woken where it is still queued becomes runnable there. */
  requeue(rq: RunQueue, t: Thread): void;
  /** pick_next_entity(): among rq.threads (curr included). */
  pick(rq: RunQueue): Thread | null;
  /** set_next_entity(): `t` starts running. */
  picked(rq: RunQueue, t: Thread): void;
  /**
   * scheduler_tick() → entity_tick(): true when curr should be preempted. `sliceScale`: the
   * product of curr's ancestors' weight fractions, by which CFS's sched_slice() shrinks a slice
   * below the root (1 at the root and for flat runqueues).
   */
  tick(rq: RunQueue, sliceScale?: number): boolean;
  /** check_preempt_wakeup(): true when `woken` should preempt curr. */
  wakeupPreempts(rq: RunQueue, woken: Thread): boolean;
  /**
   * reweight_entity() of an entity on `rq` (a group entity whose shares changed): set its weight
   * and whatever the class keeps in step with it.
   */
  reweight(rq: RunQueue, t: Thread, weight: number): void;
  /** yield_task_fair(). */
  yieldTask(rq: RunQueue, t: Thread): void;
  /** yield_to_task_fair() at `nowNs` (rq->clock): false when the target cannot be boosted. */
  yieldToTask(
    spinnerRq: RunQueue,
    spinner: Thread,
    targetRq: RunQueue,
    target: Thread,
    nowNs: number,
  ): boolean;
}

/**
 * SCHED_TUNABLESCALING_LOG (kernel/sched/fair.c get_update_sysctl_factor): base tunables are
 * multiplied by 1 + ilog2(min(ncpus, 8)).
 */
export function tunableFactor(pcpus: number): number {
  return 1 + Math.floor(Math.log2(Math.min(Math.max(pcpus, 1), 8)));
}
