import { EnqueueKind } from '../sched/host-scheduler';
import { HostEvent } from './host-event';
import type { Host } from './ports';
import type { RunQueue } from './runqueue';
import { ThreadState, type Thread } from './thread';

/** sysctl_sched_cfs_bandwidth_slice_us: a cfs_rq takes runtime from the group's pool 5 ms at a time. */
export const BANDWIDTH_SLICE_NS = 5_000_000;
/** min_cfs_rq_runtime: what an idle cfs_rq keeps of its runtime when it returns the rest. */
const MIN_CFS_RQ_RUNTIME_NS = 1_000_000;
/** cfs_bandwidth_slack_period and min_bandwidth_expiration (kernel/sched/fair.c). */
const SLACK_PERIOD_NS = 5_000_000;
const MIN_BANDWIDTH_EXPIRATION_NS = 2_000_000;

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
  /** When the period timer fires next, and whether the slack timer is armed (cfs_b->slack_started). */
  nextPeriodNs: number;
  slackStarted = false;

  constructor(
    readonly vm: number,
    readonly quotaNs: number,
    readonly periodNs: number,
    pcpus: number,
  ) {
    this.pool = quotaNs;
    this.nextPeriodNs = periodNs;
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
export function accountRuntime(h: Host, rq: RunQueue, t: Thread, deltaNs: number): void {
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
export function throttleIfOut(h: Host, rq: RunQueue): void {
  const curr = rq.curr;
  const bw = curr ? h.bandwidthOf(curr) : null;
  if (!bw || bw.throttled[rq.cpu] || bw.remaining[rq.cpu]! > 0 || bw.assign(rq.cpu, 1)) return;
  bw.throttled[rq.cpu] = 1;
  bw.throttledSince[rq.cpu] = h.now;
  bw.order.push(rq.cpu);
  for (const t of [...rq.threads]) {
    if (h.bandwidthOf(t) !== bw) continue;
    // A delayed (asleep) thread of the throttled cfs_rq leaves now, as if picked: the model parks
    // only runnable threads (the kernel leaves it delayed inside the throttled cfs_rq).
    if (t.delayed) {
      h.schedOps.finishDelayed(rq, t);
      continue;
    }
    h.schedOps.parkThread(rq, t);
    bw.parked[rq.cpu]!.push(t);
  }
}

/** A thread that wakes (or is placed) on a pCPU where its VM's cfs_rq is throttled stays off the runqueue. */
export function parkedOnWake(h: Host, t: Thread, cpu: number): boolean {
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
export function periodTimer(h: Host, bw: Bandwidth): void {
  bw.nrPeriods++;
  bw.pool = bw.quotaNs;
  if (bw.order.length > 0) bw.nrThrottled++;
  distribute(h, bw);
  bw.nextPeriodNs = h.now + bw.periodNs;
  h.queue.push(bw.nextPeriodNs, HostEvent.Bandwidth, bw.vm, 0);
}

/** distribute_cfs_runtime(): each throttled cfs_rq, in throttle order, gets what it needs to run again. */
function distribute(h: Host, bw: Bandwidth): void {
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
}

/**
 * return_cfs_rq_runtime() from dequeue_entity() (5.6–6.17): a VM's cfs_rq left with no runnable
 * thread on a pCPU gives its runtime beyond min_cfs_rq_runtime back to the pool, so a vCPU that
 * halts does not strand up to a slice there; when the pool then holds more than a slice and some
 * cfs_rq is throttled, start_cfs_slack_bandwidth() arms the slack timer (5 ms), unless the
 * period refreshes within 7 ms or it is armed already.
 */
export function returnRuntime(h: Host, bw: Bandwidth, cpu: number): void {
  if (bw.throttled[cpu]) return;
  for (const t of h.rqs[cpu]!.threads) if (h.bandwidthOf(t) === bw) return;
  const slack = bw.remaining[cpu]! - MIN_CFS_RQ_RUNTIME_NS;
  if (slack <= 0) return;
  bw.pool += slack;
  bw.remaining[cpu]! -= slack;
  if (bw.pool <= BANDWIDTH_SLICE_NS || bw.order.length === 0) return;
  if (bw.nextPeriodNs - h.now < SLACK_PERIOD_NS + MIN_BANDWIDTH_EXPIRATION_NS || bw.slackStarted) return;
  bw.slackStarted = true;
  h.queue.push(h.now + SLACK_PERIOD_NS, HostEvent.BandwidthSlack, bw.vm, 0);
}

/** do_sched_cfs_slack_timer(): hand the returned runtime to throttled cfs_rqs if it is more than a slice. */
export function slackTimer(h: Host, bw: Bandwidth): void {
  bw.slackStarted = false;
  if (bw.pool > BANDWIDTH_SLICE_NS) distribute(h, bw);
}

/** unthrottle_cfs_rq(): the VM's threads on this pCPU are enqueued again. */
function unthrottle(h: Host, bw: Bandwidth, cpu: number): void {
  bw.throttled[cpu] = 0;
  bw.throttledNs += h.now - bw.throttledSince[cpu]!;
  const parked = bw.parked[cpu]!.splice(0);
  for (const t of parked) h.schedOps.unparkThread(h.rqs[cpu]!, t, EnqueueKind.Wakeup);
}
