import { EnqueueKind } from '../sched/host-scheduler';
import { HostEvent } from './host-event';
import type { HostModel } from './host-model';
import type { RunQueue } from './runqueue';
import { ThreadState, type Thread } from './thread';

/** sysctl_sched_cfs_bandwidth_slice_us: a cfs_rq takes runtime from the group's pool 5 ms at a time. */
export const BANDWIDTH_SLICE_NS = 5_000_000;

/**
 * CFS bandwidth control of one VM's cgroup (`cpu.max` = quota per period): struct cfs_bandwidth
 * (the group's pool) and, per pCPU, its cfs_rq's runtime_remaining and throttle state
 * (kernel/sched/fair.c, every version modelled). Fairness stays per thread here (the model has
 * no group entities); what this reproduces is the throttling: a VM out of quota on a pCPU has
 * all its threads there dequeued until the next period, while its vCPUs on pCPUs that still hold
 * a slice run on — the lock holder throttled, its siblings spinning.
 */
export class Bandwidth {
  pool: number;
  readonly remaining: Float64Array;
  readonly throttled: Uint8Array;
  readonly throttledSince: Float64Array;
  /** Per pCPU: the threads dequeued with the throttled cfs_rq (they stay TASK_RUNNING, on_rq). */
  readonly parked: Thread[][];
  /** Throttled cfs_rqs in throttle order (cfs_b->throttled_cfs_rq). */
  readonly order: number[] = [];
  throttledNs = 0;
  nrPeriods = 0;
  nrThrottled = 0;

  constructor(
    readonly vm: number,
    readonly quotaNs: number,
    readonly periodNs: number,
    pcpus: number,
  ) {
    this.pool = quotaNs;
    this.remaining = new Float64Array(pcpus);
    this.throttled = new Uint8Array(pcpus);
    this.throttledSince = new Float64Array(pcpus);
    this.parked = Array.from({ length: pcpus }, () => []);
  }

  /**
   * __assign_cfs_rq_runtime(): top the cfs_rq up to a slice from the pool, as far as it goes.
   * True when the cfs_rq has runtime left.
   */
  assign(cpu: number, targetNs = BANDWIDTH_SLICE_NS): boolean {
    const amount = Math.min(this.pool, targetNs - this.remaining[cpu]!);
    if (amount > 0) {
      this.pool -= amount;
      this.remaining[cpu]! += amount;
    }
    return this.remaining[cpu]! > 0;
  }
}

/**
 * __account_cfs_rq_runtime(), from update_curr(): charge the running vCPU's cfs_rq; out of
 * runtime, it asks the pool for a slice, and if the pool is empty too, resched_curr() — the
 * throttle itself happens at the next schedule (check_cfs_rq_runtime in put_prev_entity).
 */
export function accountRuntime(h: HostModel, rq: RunQueue, t: Thread, deltaNs: number): void {
  const bw = h.bandwidthOf(t);
  if (!bw || bw.throttled[rq.cpu]) return;
  bw.remaining[rq.cpu]! -= deltaNs;
  if (bw.remaining[rq.cpu]! > 0) return;
  if (!bw.assign(rq.cpu)) rq.needResched = true;
}

/**
 * check_cfs_rq_runtime() → throttle_cfs_rq() at the start of __schedule(): the running vCPU's
 * cfs_rq out of runtime (throttle_cfs_rq tries the pool once more for 1 ns) is throttled: every
 * thread of that VM on this pCPU leaves the runqueue.
 */
export function throttleIfOut(h: HostModel, rq: RunQueue): void {
  const curr = rq.curr;
  const bw = curr ? h.bandwidthOf(curr) : null;
  if (!bw || bw.throttled[rq.cpu] || bw.remaining[rq.cpu]! > 0 || bw.assign(rq.cpu, 1)) return;
  bw.throttled[rq.cpu] = 1;
  bw.throttledSince[rq.cpu] = h.now;
  bw.order.push(rq.cpu);
  for (const t of [...rq.threads])
    if (h.bandwidthOf(t) === bw) {
      h.parkThread(rq, t);
      bw.parked[rq.cpu]!.push(t);
    }
}

/** A thread that wakes (or is placed) on a pCPU where its VM's cfs_rq is throttled stays off the runqueue. */
export function parkedOnWake(h: HostModel, t: Thread, cpu: number): boolean {
  const bw = h.bandwidthOf(t);
  if (!bw || !bw.throttled[cpu]) return false;
  t.state = ThreadState.Throttled;
  t.throttledSinceNs = h.now;
  bw.parked[cpu]!.push(t);
  return true;
}

/**
 * sched_cfs_period_timer() → do_sched_cfs_period_timer(): refill the pool with the quota; a
 * period that starts with throttled cfs_rqs counts in nr_throttled; distribute_cfs_runtime()
 * gives each throttled cfs_rq, in throttle order, what it needs to run again (−remaining + 1)
 * while the pool lasts, and unthrottles it.
 */
export function periodTimer(h: HostModel, bw: Bandwidth): void {
  bw.nrPeriods++;
  bw.pool = bw.quotaNs;
  if (bw.order.length > 0) bw.nrThrottled++;
  while (bw.order.length > 0 && bw.pool > 0) {
    const cpu = bw.order[0]!;
    const need = -bw.remaining[cpu]! + 1;
    const give = Math.min(need, bw.pool);
    bw.pool -= give;
    bw.remaining[cpu]! += give;
    if (bw.remaining[cpu]! <= 0) break;
    bw.order.shift();
    unthrottle(h, bw, cpu);
  }
  h.queue.push(h.now + bw.periodNs, HostEvent.Bandwidth, bw.vm, 0);
}

/** unthrottle_cfs_rq(): the VM's threads on this pCPU are enqueued again. */
function unthrottle(h: HostModel, bw: Bandwidth, cpu: number): void {
  bw.throttled[cpu] = 0;
  bw.throttledNs += h.now - bw.throttledSince[cpu]!;
  const parked = bw.parked[cpu]!.splice(0);
  for (const t of parked) h.unparkThread(h.rqs[cpu]!, t, EnqueueKind.Wakeup);
}
