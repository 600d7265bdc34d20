import type { RunQueue } from '../host/runqueue';
import { vtime, type Thread } from '../host/thread';
import type { EevdfClass } from './eevdf-pick-buddy';

/** yield_deboost_rate_limit(): at most one penalty per runqueue per 6 ms. */
const RATE_LIMIT_NS = 6_000_000;

/**
 * The "vCPU debooster" of the semantics-aware series, as posted in v1 ("[PATCH 02/10]" to
 * "[PATCH 05/10]", Wanpeng Li, 2025-11-10, <20251110033232.12538-{3,5,6}-kernellwp@gmail.com>),
 * on EEVDF before 79104becf42b: yield_to_task_fair() calls yield_to_deboost() between
 * set_next_buddy() and yield_task_fair().
 * - yield_deboost_validate_tasks(): the rate limiter runs first and refreshes its timestamp on
 *   every call, so under a steady stream of yields less than 6 ms apart no penalty is applied
 *   after the first; then both tasks must be on the yielder's runqueue (`task_rq(p) == rq`): a
 *   target on another CPU gets the buddy only.
 * - yield_deboost_find_lca(): the penalty is charged at the lowest common cfs_rq; a vCPU's
 *   directed yield stays inside its VM, so under per-VM cgroups that is the VM's cfs_rq on this
 *   CPU — the runqueue this class is given by GroupScheduler.
 * - yield_deboost_calculate_penalty(): gran = calc_delta_fair(base slice); need = how far the
 *   target's vruntime is ahead; penalty = gran + 1.1 × need, clamped to [gran, cap × gran] with
 *   caps 6, 4, 2.5, 2, 1.5, 1 for 2, 3, 4–6, 7–8, 9–12 and more queued entities. Two rules of
 *   the patch never change the result, so they are not repeated here: the need == 0 floor
 *   (0.25–1 × gran, below the clamp's gran), and the reverse-pair debounce (A → B then B → A
 *   within 600 µs), because its pair fields are per rq and the same rq's 6 ms limiter stops
 *   every second penalty within 600 µs first.
 * - yield_deboost_apply_penalty(): vruntime += penalty, deadline = vruntime + slice, vlag and
 *   min_vruntime updated.
 */
export function withVcpuDebooster<B extends EevdfClass>(Base: B) {
  return class extends Base {
    /** rq->yield_deboost_last_time_ns, per CPU. */
    private readonly lastNs = new Map<number, number>();

    protected override afterNextBuddy(
      spinnerRq: RunQueue,
      spinner: Thread,
      targetRq: RunQueue,
      target: Thread,
      nowNs: number,
    ): void {
      const last = this.lastNs.get(spinnerRq.cpu) ?? 0;
      this.lastNs.set(spinnerRq.cpu, nowNs);
      if ((last !== 0 && nowNs - last <= RATE_LIMIT_NS) || spinnerRq !== targetRq) return;
      const gran = vtime(this.sliceNs, spinner);
      const need = Math.max(0, target.vruntime - spinner.vruntime);
      const penalty = Math.min(gran + need + Math.floor(need / 10), capOf(spinnerRq.threads.length) * gran);
      spinner.vruntime += penalty;
      spinner.deadline = spinner.vruntime + vtime(this.sliceNs, spinner);
      this.updateMinVruntime(spinnerRq);
    }
  };
}

/** The queue-size cap of yield_deboost_calculate_penalty(), in units of gran. */
function capOf(nrQueued: number): number {
  if (nrQueued <= 2) return 6;
  if (nrQueued === 3) return 4;
  if (nrQueued <= 6) return 2.5;
  if (nrQueued <= 8) return 2;
  if (nrQueued <= 12) return 1.5;
  return 1;
}
