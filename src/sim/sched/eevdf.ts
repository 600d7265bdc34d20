import type { RunQueue } from '../host/runqueue';
import { NICE_0_WEIGHT, vtime, type Thread } from '../host/thread';
import { clearBuddies } from './cfs';
import { EnqueueKind, tunableFactor, type HostScheduler } from './host-scheduler';

/** TICK_NSEC at HZ=250, the limit floor for saved lag (update_entity_lag). */
const TICK_NS = 4_000_000;

/**
 * EEVDF as merged in Linux 6.6 (kernel/sched/fair.c): eligibility against the load-weighted
 * average vruntime V, virtual deadlines, lag kept across sleep, RUN_TO_PARITY. In 6.6–6.13 the next
 * buddy set by yield_to is never consulted (NEXT_BUDDY is off by default); later eras subclass.
 */
export class EevdfScheduler implements HostScheduler {
  readonly name: string = 'eevdf';
  /**
   * sysctl_sched_base_slice × (1 + ilog2(min(CPUs, 8))): 0.75 ms until 6.14, 0.70 ms from 6.15
   * (2ae891b82695; KERNEL.md gives 0.7 ms for every EEVDF kernel).
   */
  readonly sliceNs: number;

  constructor(pcpus: number, baseSliceNs = 750_000) {
    this.sliceNs = baseSliceNs * tunableFactor(pcpus);
  }

  /** avg_vruntime(): the load-weighted mean vruntime V of every runnable entity, curr included. */
  averageVruntime(rq: RunQueue): number {
    if (rq.threads.length === 0) return rq.minVruntime;
    let sum = 0;
    let load = 0;
    for (const t of rq.threads) {
      const w = t.weight / NICE_0_WEIGHT;
      sum += w * t.vruntime;
      load += w;
    }
    return sum / load;
  }

  /** entity_eligible(): lag ≥ 0, i.e. vruntime ≤ V. */
  eligible(rq: RunQueue, t: Thread): boolean {
    return t.vruntime <= this.averageVruntime(rq);
  }

  charge(rq: RunQueue, t: Thread, deltaNs: number): boolean {
    t.vruntime += vtime(deltaNs, t);
    this.updateMinVruntime(rq);
    // update_deadline(): a used-up slice earns a new deadline and a reschedule if others wait.
    if (t.vruntime < t.deadline) return false;
    t.deadline = t.vruntime + vtime(this.sliceNs, t);
    if (rq.threads.length > 1) {
      clearBuddies(rq, t);
      return true;
    }
    return false;
  }

  /** update_min_vruntime(): the floor follows the smallest vruntime up, never down. */
  protected updateMinVruntime(rq: RunQueue): void {
    let min = Infinity;
    for (const t of rq.threads) if (t.vruntime < min) min = t.vruntime;
    if (min > rq.minVruntime) rq.minVruntime = min;
  }

  /** place_entity(): keep the saved lag (inflated for the load it joins); initial tasks get half a slice. */
  place(rq: RunQueue, t: Thread, kind: EnqueueKind, _from: RunQueue): void {
    let vslice = vtime(this.sliceNs, t);
    let lag = kind === EnqueueKind.New ? 0 : t.vlag;
    // V and load W before this entity joins; the lag is inflated by (W + w) / W.
    let sum = 0;
    let load = 0;
    for (const o of rq.threads)
      if (o !== t) {
        const w = o.weight / NICE_0_WEIGHT;
        sum += w * o.vruntime;
        load += w;
      }
    if (load > 0) lag = (lag * (load + t.weight / NICE_0_WEIGHT)) / load;
    const v = load > 0 ? sum / load : rq.minVruntime;
    t.vruntime = v - lag;
    if (kind === EnqueueKind.New) vslice = Math.floor(vslice / 2);
    t.deadline = t.vruntime + vslice;
  }

  unplace(rq: RunQueue, t: Thread, _migrating: boolean): void {
    clearBuddies(rq, t);
    this.updateEntityLag(rq, t);
  }

  /** update_entity_lag(): save V − vruntime, clamped to max(2 slices, a tick). */
  protected updateEntityLag(rq: RunQueue, t: Thread): void {
    const limit = vtime(Math.max(2 * this.sliceNs, TICK_NS), t);
    t.vlag = Math.max(-limit, Math.min(limit, this.averageVruntime(rq) - t.vruntime));
  }

  /** Without DELAY_DEQUEUE (6.6–6.11) a blocking entity always leaves. */
  delaysDequeue(_rq: RunQueue, _t: Thread): boolean {
    return false;
  }

  requeue(_rq: RunQueue, _t: Thread): void {
    throw new Error('EEVDF without DELAY_DEQUEUE never delays a dequeue, so it has nothing to requeue');
  }

  /** pick_eevdf(): curr while slice-protected, else the earliest deadline among eligible entities. */
  pickEevdf(rq: RunQueue): Thread | null {
    const v = this.averageVruntime(rq);
    let curr = rq.curr;
    if (curr && curr.vruntime > v) curr = null;
    if (curr && this.protectedSlice(curr)) return curr;
    let best: Thread | null = null;
    for (const t of rq.threads) {
      if (t === rq.curr || t.vruntime > v) continue;
      if (!best || t.deadline < best.deadline || (t.deadline === best.deadline && t.id < best.id)) best = t;
    }
    if (!best || (curr && curr.deadline < best.deadline)) best = curr;
    if (!best) {
      // Rounding can leave nothing at or below V; the leftmost is eligible by definition.
      for (const t of rq.threads) if (!best || t.vruntime < best.vruntime) best = t;
    }
    return best;
  }

  /**
   * RUN_TO_PARITY (6.6–6.16): curr keeps the CPU while its deadline is the one it was picked
   * with (the kernel stashes it in vlag at set_next_entity()); a deadline pushed by a yield or
   * renewed by update_deadline() ends the protection.
   */
  protected protectedSlice(t: Thread): boolean {
    return t.pickedDeadline === t.deadline;
  }

  /** pick_next_entity() of 6.6–6.13: NEXT_BUDDY is off, so yield_to's buddy is ignored. */
  pick(rq: RunQueue): Thread | null {
    const se = this.pickEevdf(rq);
    if (se) clearBuddies(rq, se);
    return se;
  }

  picked(_rq: RunQueue, t: Thread): void {
    t.execAtPickNs = t.sumExecNs;
    t.pickedDeadline = t.deadline;
  }

  /**
   * reweight_eevdf() (eab03c23c2a1 "sched/eevdf: Fix vruntime adjustment on reweight", 6.7, in
   * stable from 6.6.3): an entity on the runqueue keeps its weighted lag and its weighted distance
   * to its deadline — v' = V − (V − v)·w/w', d' = V + (d − V)·w/w' — so V does not move. (6.6.0–
   * 6.6.2 kept v and scaled only the relative deadline; not modelled separately.)
   */
  reweight(rq: RunQueue, t: Thread, weight: number): void {
    if (weight === t.weight) return;
    if (rq.threads.includes(t)) {
      const v = this.averageVruntime(rq);
      const scale = t.weight / weight;
      t.vruntime = v - (v - t.vruntime) * scale;
      t.deadline = v + (t.deadline - v) * scale;
    }
    t.weight = weight;
  }

  /** entity_tick() has no check_preempt_tick under EEVDF: update_curr/update_deadline decide. */
  tick(_rq: RunQueue): boolean {
    return false;
  }

  /** check_preempt_wakeup_fair(): preempt when the woken entity is what pick_eevdf would run now. */
  wakeupPreempts(rq: RunQueue, woken: Thread): boolean {
    if (!rq.curr) return true;
    return this.pickEevdf(rq) === woken;
  }

  /** yield_task_fair() of 6.6–6.18: push the yielder's deadline by one slice. */
  yieldTask(rq: RunQueue, t: Thread): void {
    if (rq.threads.length === 1) return;
    clearBuddies(rq, t);
    t.deadline += vtime(this.sliceNs, t);
  }

  /** yield_to_task_fair(): set_next_buddy(), then the yielder's yield_task_fair(). */
  yieldToTask(
    spinnerRq: RunQueue,
    spinner: Thread,
    targetRq: RunQueue,
    target: Thread,
    nowNs: number,
  ): boolean {
    targetRq.next = target;
    this.afterNextBuddy(spinnerRq, spinner, targetRq, target, nowNs);
    this.yieldTask(spinnerRq, spinner);
    return true;
  }

  /** Hook for patches to yield_to_task_fair() after set_next_buddy(); stock EEVDF does nothing here. */
  protected afterNextBuddy(
    _spinnerRq: RunQueue,
    _spinner: Thread,
    _targetRq: RunQueue,
    _target: Thread,
    _nowNs: number,
  ): void {}
}
