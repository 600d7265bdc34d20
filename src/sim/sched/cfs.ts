import { entityBefore, type RunQueue } from '../host/runqueue';
import { vtime, type Thread } from '../host/thread';
import { EnqueueKind, tunableFactor, type HostScheduler } from './host-scheduler';

/** CFS as in Linux 5.6 (kernel/sched/fair.c), for nice-0 threads on flat runqueues. */
export class CfsScheduler implements HostScheduler {
  readonly name: string = 'cfs-5.6';
  readonly skipBuddyEveryLevel = true;
  /** sysctl_sched_latency: 6 ms × factor. */
  readonly latencyNs: number;
  /** sysctl_sched_min_granularity: 0.75 ms × factor. */
  readonly minGranularityNs: number;
  /** sysctl_sched_wakeup_granularity: 1 ms × factor; nice 0, so calc_delta_fair leaves it unscaled. */
  readonly wakeupGranularityNs: number;
  /** sched_nr_latency = latency / min_granularity. */
  private readonly nrLatency: number;

  constructor(pcpus: number) {
    const factor = tunableFactor(pcpus);
    this.latencyNs = 6_000_000 * factor;
    this.minGranularityNs = 750_000 * factor;
    this.wakeupGranularityNs = 1_000_000 * factor;
    this.nrLatency = Math.floor(this.latencyNs / this.minGranularityNs);
  }

  /** sched_slice(): `t`'s share of the period, by load weight (equal for nice-0 tasks). */
  sliceNs(rq: RunQueue, t: Thread | null = null): number {
    const n = Math.max(rq.threads.length, 1);
    const period = n > this.nrLatency ? n * this.minGranularityNs : this.latencyNs;
    if (!t) return Math.floor(period / n);
    let load = 0;
    for (const o of rq.threads) load += o.weight;
    return Math.floor((period * t.weight) / Math.max(load, t.weight));
  }

  charge(rq: RunQueue, t: Thread, deltaNs: number): boolean {
    t.vruntime += vtime(deltaNs, t);
    this.updateMinVruntime(rq);
    return false;
  }

  /** update_min_vruntime(): monotonic, follows the smallest of curr and the leftmost. */
  private updateMinVruntime(rq: RunQueue): void {
    let min = Infinity;
    for (const t of rq.threads) if (t.vruntime < min) min = t.vruntime;
    if (min !== Infinity && min > rq.minVruntime) rq.minVruntime = min;
  }

  place(rq: RunQueue, t: Thread, kind: EnqueueKind, from: RunQueue): void {
    if (kind === EnqueueKind.New) {
      // place_entity(initial=1) with START_DEBIT: a new task starts one slice behind.
      t.vruntime = rq.minVruntime + vtime(this.sliceNs(rq, t), t);
    } else if (kind === EnqueueKind.Migrate) {
      // migrate_task_rq_fair / enqueue: vruntime was made relative to the old min_vruntime.
      t.vruntime += rq.minVruntime;
    } else {
      // A wakeup on another CPU: migrate_task_rq_fair() renormalises against the new min_vruntime.
      if (from !== rq) t.vruntime += rq.minVruntime - from.minVruntime;
      // place_entity(initial=0), GENTLE_FAIR_SLEEPERS: a sleeper gets at most half a latency of credit.
      t.vruntime = Math.max(t.vruntime, rq.minVruntime - Math.floor(this.latencyNs / 2));
    }
    this.updateMinVruntime(rq);
  }

  unplace(rq: RunQueue, t: Thread, migrating: boolean): void {
    clearBuddies(rq, t);
    // dequeue_entity without DEQUEUE_SLEEP: keep vruntime relative for the destination runqueue.
    if (migrating) t.vruntime -= rq.minVruntime;
  }

  /** CFS has no delayed dequeue: a blocking task always leaves. */
  delaysDequeue(): boolean {
    return false;
  }

  requeue(): void {
    throw new Error('CFS never delays a dequeue, so it has nothing to requeue');
  }

  /** wakeup_preempt_entity(curr, se): 1 if curr is more than wakeup_gran(se) ahead of se, −1 if behind. */
  protected wakeupPreemptEntity(curr: Thread, se: Thread): number {
    const vdiff = curr.vruntime - se.vruntime;
    if (vdiff <= 0) return -1;
    return vdiff > vtime(this.wakeupGranularityNs, se) ? 1 : 0;
  }

  /** pick_next_entity() of 5.6: leftmost, unless a buddy is within wakeup_gran of it. */
  pick(rq: RunQueue): Thread | null {
    let left: Thread | null = null;
    for (const t of rq.threads) if (!left || entityBefore(t, left)) left = t;
    if (!left) return null;
    let se = left;
    // Avoid the skip buddy (the yielder) if the second-leftmost is not too far behind.
    if (rq.skip === left) {
      let second: Thread | null = null;
      for (const t of rq.threads) if (t !== left && (!second || entityBefore(t, second))) second = t;
      if (second && this.wakeupPreemptEntity(second, left) < 1) se = second;
    }
    // Prefer the last buddy (cache-hot task preempted on wakeup) ...
    if (rq.last && this.wakeupPreemptEntity(rq.last, left) < 1) se = rq.last;
    // ... and above all the next buddy (yield_to's target) — but only within wakeup_gran of left:
    // the scheduler mismatch of the paper is this test failing for a target that ran recently.
    if (rq.next && this.wakeupPreemptEntity(rq.next, left) < 1) se = rq.next;
    clearBuddies(rq, se);
    return se;
  }

  picked(_rq: RunQueue, t: Thread): void {
    t.execAtPickNs = t.sumExecNs;
  }

  /**
   * check_preempt_tick(): curr used its ideal slice, or is a slice ahead of the leftmost. The
   * ideal slice is sched_slice() (v5.6): the period of curr's cfs_rq times curr's weight fraction
   * at every level up to the root (for_each_sched_entity), so a thread in a VM cgroup gets its
   * share of its VM entity's share.
   */
  tick(rq: RunQueue, sliceScale = 1): boolean {
    const curr = rq.curr;
    if (!curr) return false;
    const ideal = sliceScale === 1 ? this.sliceNs(rq, curr) : Math.floor(this.sliceNs(rq, curr) * sliceScale);
    const ran = curr.sumExecNs - curr.execAtPickNs;
    if (ran > ideal) {
      clearBuddies(rq, curr);
      return true;
    }
    if (ran < this.minGranularityNs) return false;
    let left: Thread | null = null;
    for (const t of rq.threads) if (t !== curr && (!left || entityBefore(t, left))) left = t;
    if (!left) return false;
    const delta = curr.vruntime - left.vruntime;
    return delta > ideal;
  }

  /** reweight_entity() of 5.6: the load changes; vruntime is kept as it is. */
  reweight(_rq: RunQueue, t: Thread, weight: number): void {
    t.weight = weight;
  }

  /**
   * check_preempt_wakeup() (kernel/sched/fair.c, v5.6): when the woken task preempts (its vruntime
   * more than wakeup_gran below curr's), it becomes the next buddy — "bias pick_next to pick the
   * sched entity that is triggering this preemption" — and curr becomes the last buddy only when
   * `scale`: the runqueue holds at least sched_nr_latency tasks (LAST_BUDDY on, NEXT_BUDDY off by
   * default, so no next buddy without preemption).
   */
  wakeupPreempts(rq: RunQueue, woken: Thread): boolean {
    const curr = rq.curr;
    if (!curr) return true;
    if (this.wakeupPreemptEntity(curr, woken) !== 1) return false;
    rq.next = woken;
    if (rq.threads.length >= this.nrLatency) rq.last = curr;
    return true;
  }

  /** yield_task_fair(): the yielder becomes the skip buddy (nothing happens when it is alone). */
  yieldTask(rq: RunQueue, t: Thread): void {
    if (rq.threads.length === 1) return;
    clearBuddies(rq, t);
    rq.skip = t;
  }

  /** yield_to_task_fair(): the target becomes the next buddy on its runqueue, then the spinner yields. */
  yieldToTask(
    spinnerRq: RunQueue,
    spinner: Thread,
    targetRq: RunQueue,
    target: Thread,
    _nowNs: number,
  ): boolean {
    targetRq.next = target;
    this.afterNextBuddy(spinnerRq, spinner, targetRq, target);
    this.yieldTask(spinnerRq, spinner);
    return true;
  }

  /** Hook for patches to yield_to_task_fair after set_next_buddy(); stock CFS does nothing here. */
  protected afterNextBuddy(
    _spinnerRq: RunQueue,
    _spinner: Thread,
    _targetRq: RunQueue,
    _target: Thread,
  ): void {}
}

/** clear_buddies(): forget every buddy hint that points at `t`. */
export function clearBuddies(rq: RunQueue, t: Thread): void {
  if (rq.next === t) rq.next = null;
  if (rq.last === t) rq.last = null;
  if (rq.skip === t) rq.skip = null;
}
