import { EnqueueKind } from '../sched/host-scheduler';
import { returnRuntime } from './bandwidth';
import type { Host } from './ports';
import { trackLoad } from '../sched/load-tracking';
import type { RunQueue } from './runqueue';
import { type Thread } from './thread';

/** Periodic load balancing between busy pCPUs every this many ticks (idle pCPUs pull every tick). */
export const BALANCE_TICKS = 4;

/** sd_init(): imbalance_pct of the MC (last-level-cache) domain. */
const IMBALANCE_PCT = 117;

/** available_idle_cpu(): nothing running or queued (the host is not itself a guest). */
function idle(h: Host, cpu: number): boolean {
  const rq = h.rqs[cpu]!;
  return rq.curr === null && rq.threads.length === 0;
}

/**
 * select_task_rq_fair() for a wakeup (5.6–6.19, one LLC domain, no SMT): the waker's pCPU is a
 * candidate target unless the wakeup is "wide" (wake_wide()); wake_affine() picks between it and
 * the thread's previous pCPU, and select_idle_sibling() looks for an idle pCPU from the target.
 * `waker`: the running thread that wakes `t` (an IPI sender, a PV kick's unlocker, a mutex's
 * releaser); none for a timer, which fires on the pCPU the thread last ran on (KVM migrates a
 * vCPU's timers with it). recent_used_cpu and the SIS_UTIL scan limit are not modelled.
 */
export function selectCpu(h: Host, t: Thread, waker?: Thread): number {
  const allowed = t.allowed;
  if (allowed.length === 1) return allowed[0]!;
  const prev = allowed.includes(t.cpu) ? t.cpu : allowed[0]!;
  let target = prev;
  if (waker) {
    recordWakee(h, waker, t);
    const cpu = waker.cpu;
    if (cpu !== prev && allowed.includes(cpu) && !wakeWide(h, waker, t)) target = wakeAffine(h, t, cpu, prev);
  }
  return selectIdleSibling(h, allowed, prev, target);
}

/**
 * record_wakee(): the waker counts a flip each time it wakes another thread than last time,
 * halved at most once a second (the kernel checks jiffies against wakee_flip_decay_ts + HZ).
 */
function recordWakee(h: Host, waker: Thread, wakee: Thread): void {
  if (h.now > waker.wakeeFlipDecayNs + 1e9) {
    waker.wakeeFlips >>= 1;
    waker.wakeeFlipDecayNs = h.now;
  }
  if (waker.lastWakee !== wakee) {
    waker.lastWakee = wakee;
    waker.wakeeFlips++;
  }
}

/** wake_wide(): a waker and wakee that both flip among many partners spread over the LLC. */
function wakeWide(h: Host, waker: Thread, wakee: Thread): boolean {
  const factor = h.rqs.length; // sd_llc_size: every pCPU shares the one LLC
  const master = Math.max(waker.wakeeFlips, wakee.wakeeFlips);
  const slave = Math.min(waker.wakeeFlips, wakee.wakeeFlips);
  return !(slave < factor || master < slave * factor);
}

/**
 * wake_affine() with WA_IDLE, WA_WEIGHT and WA_BIAS: an idle waker's pCPU (the previous one if
 * that is idle too), else an idle previous pCPU, else the waker's pCPU when its load with the
 * thread is below the previous pCPU's without it (the previous one favoured by half of
 * imbalance_pct), else the previous pCPU.
 */
function wakeAffine(h: Host, t: Thread, thisCpu: number, prev: number): number {
  if (idle(h, thisCpu)) return idle(h, prev) ? prev : thisCpu;
  if (idle(h, prev)) return prev;
  const taskLoad = h.load.taskLoad(t, h.now);
  const thisEff = (h.load.cpuLoad(thisCpu, h.now) + taskLoad) * 100;
  const prevEff = (h.load.cpuLoad(prev, h.now) - taskLoad) * (100 + (IMBALANCE_PCT - 100) / 2);
  return thisEff < prevEff ? thisCpu : prev;
}

/**
 * select_idle_sibling(): the target if idle, else the previous pCPU if idle, else the first idle
 * allowed pCPU scanning from the target (select_idle_cpu), else the target.
 */
function selectIdleSibling(h: Host, allowed: readonly number[], prev: number, target: number): number {
  if (idle(h, target)) return target;
  if (prev !== target && idle(h, prev)) return prev;
  const start = Math.max(0, allowed.indexOf(target));
  for (let i = 0; i < allowed.length; i++) {
    const cpu = allowed[(start + i) % allowed.length]!;
    if (idle(h, cpu)) return cpu;
  }
  return target;
}

/**
 * can_migrate_task(), simplified: the thread may run there (cpus_allowed), and, before 6.18, its
 * cgroup is not throttled there (throttled_lb_pair(), removed by 5b726e9bf954 with task-based
 * throttling). task_hot() (a thread that ran in the last 0.5 ms stays unless balancing failed
 * before) is not modelled.
 */
function canMigrate(h: Host, t: Thread, cpu: number): boolean {
  if (!t.allowed.includes(cpu)) return false;
  return h.features.has('task-based-throttle') || !h.bandwidthOf(t)?.throttled[cpu];
}

/** enum group_type, as far as the model's hosts reach (no asymmetric capacity, no misfit). */
const enum GroupType {
  HasSpare = 0,
  FullyBusy = 1,
  Overloaded = 2,
}

/** SCHED_CAPACITY_SCALE: every pCPU at full capacity (no RT, IRQ or frequency pressure modelled). */
const CAPACITY = 1024;

/** struct sg_lb_stats of a sched group that is one pCPU (the MC domain of a host without SMT). */
interface CpuStats {
  cpu: number;
  /** sum_h_nr_running. */
  nr: number;
  /** group_load = avg_load (capacity 1024). */
  load: number;
  type: GroupType;
}

/**
 * update_sg_lb_stats() + group_classify() (kernel/sched/fair.c, the load_balance() rework
 * 0b0695f2b34a of 5.5, as in 5.6–6.19): overloaded when more than one task and util or runnable
 * exceeds the capacity by imbalance_pct; fully busy when it has no spare capacity.
 */
function cpuStats(h: Host, cpu: number): CpuStats {
  const nr = h.rqs[cpu]!.threads.length;
  const { util: rawUtil, runnable } = h.attachment.utilAndRunnable(cpu, h.now);
  const util = Math.min(rawUtil, CAPACITY);
  let type = GroupType.HasSpare;
  if (nr > 1 && (CAPACITY * 100 < util * IMBALANCE_PCT || CAPACITY * IMBALANCE_PCT < runnable * 100))
    type = GroupType.Overloaded;
  else if (nr >= 1 && (CAPACITY * IMBALANCE_PCT < runnable * 100 || CAPACITY * 100 <= util * IMBALANCE_PCT))
    type = GroupType.FullyBusy;
  return { cpu, nr, load: h.load.cpuLoad(cpu, h.now), type };
}

/** update_sd_pick_busiest(): is `s` busier than `busiest`? */
function busier(s: CpuStats, busiest: CpuStats | null): boolean {
  if (s.nr === 0) return false;
  if (!busiest || s.type > busiest.type) return true;
  if (s.type < busiest.type) return false;
  // Overloaded and fully busy: the higher avg_load; with spare capacity: more tasks (one idle CPU each).
  return s.type === GroupType.HasSpare ? s.nr > busiest.nr : s.load > busiest.load;
}

/**
 * Idle and newly-idle balance (CPU_IDLE at the tick, CPU_NEWLY_IDLE when a pCPU runs out of
 * work): the local pCPU has spare capacity, so find_busiest_group() takes the busiest pCPU with
 * more than one task, and calculate_imbalance() asks for half the difference in tasks
 * (migrate_task, a group of one CPU): detach_tasks() moves that many, never the running one —
 * one only when newly idle, as a kernel with CONFIG_PREEMPTION stops there (the case of every
 * PREEMPT_DYNAMIC distribution kernel, which the model assumes for every release).
 */
export function pullTo(h: Host, rq: RunQueue, newlyIdle: boolean): boolean {
  let busiest: CpuStats | null = null;
  for (const other of h.rqs)
    if (other !== rq && other.threads.length > 1 && movable(h, other, rq.cpu)) {
      const s = cpuStats(h, other.cpu);
      if (busier(s, busiest)) busiest = s;
    }
  if (!busiest) return false;
  const tasks = newlyIdle ? 1 : (busiest.nr - rq.threads.length) >> 1;
  return detach(h, h.rqs[busiest.cpu]!, rq, tasks, false) > 0;
}

/**
 * Whether a runqueue has a waiting thread that may move to `cpu`. A pCPU whose threads are all
 * pinned elsewhere is left out of the search, as load_balance() does after LBF_ALL_PINNED.
 */
function movable(h: Host, rq: RunQueue, cpu: number): boolean {
  for (const t of rq.threads) if (t !== rq.curr && !t.delayed && canMigrate(h, t, cpu)) return true;
  return false;
}

/**
 * Periodic balance of busy pCPUs (CPU_NOT_IDLE), load_balance() → find_busiest_group():
 * only an overloaded busiest pCPU is pulled from; an overloaded local one only when the busiest
 * is more than imbalance_pct above it and it is below the average; the imbalance is
 * min(busiest − average, average − local) of avg_load (migrate_load), and detach_tasks() moves
 * waiting threads whose task_h_load fits it, relaxed by nr_balance_failed. Active balance
 * (moving a running thread) is not modelled.
 */
export function balance(h: Host): void {
  const stats = h.rqs.map((rq) => cpuStats(h, rq.cpu));
  const nrFailed = h.balanceFailed;
  for (const rq of h.rqs) {
    if (!rq.curr) continue;
    const local = stats[rq.cpu]!;
    let busiest: CpuStats | null = null;
    for (const s of stats)
      if (s !== local && busier(s, busiest) && movable(h, h.rqs[s.cpu]!, rq.cpu)) busiest = s;
    if (!busiest || busiest.type !== GroupType.Overloaded) continue;
    const avg = stats.reduce((a, s) => a + s.load, 0) / stats.length;
    // A local pCPU with spare capacity takes tasks (migrate_task); a busy one only load below it.
    if (local.type !== GroupType.HasSpare && (local.load >= busiest.load || local.load >= avg)) continue;
    if (local.type === GroupType.Overloaded && 100 * busiest.load <= IMBALANCE_PCT * local.load) continue;
    const byLoad = local.type !== GroupType.HasSpare;
    const imbalance = byLoad ? Math.min(busiest.load - avg, avg - local.load) : (busiest.nr - local.nr) >> 1;
    const moved = detach(h, h.rqs[busiest.cpu]!, rq, imbalance, byLoad, nrFailed[rq.cpu]);
    nrFailed[rq.cpu] = moved > 0 ? 0 : nrFailed[rq.cpu]! + 1;
    if (moved > 0) {
      stats[rq.cpu] = cpuStats(h, rq.cpu);
      stats[busiest.cpu] = cpuStats(h, busiest.cpu);
      if (!rq.curr) h.schedOps.schedule(rq);
    }
  }
}

/**
 * detach_tasks() + attach_tasks(): from the tail of the busiest runqueue's cfs_tasks (the thread
 * enqueued or picked longest ago first), waiting threads that may run on the local pCPU; by load
 * (imbalance in load, a thread's task_h_load shifted right by nr_balance_failed must fit) or by
 * count. Returns how many moved.
 */
function detach(
  h: Host,
  from: RunQueue,
  to: RunQueue,
  imbalance: number,
  byLoad: boolean,
  nrBalanceFailed = 0,
): number {
  let moved = 0;
  let left = imbalance;
  // A delayed thread moves only when balancing load (can_migrate_task(), 61b82dfb6b7e "sched/fair:
  // Do not try to migrate delayed dequeue task", 6.14; the model applies it from 6.12), and stays
  // delayed where it lands.
  const tail = from.threads
    .filter((t) => t !== from.curr && (byLoad || !t.delayed) && canMigrate(h, t, to.cpu))
    .sort((a, b) => a.queuedNs - b.queuedNs || a.id - b.id);
  for (const t of tail) {
    if (left <= 0 || from.threads.length <= 1) break;
    const load = byLoad ? Math.max(h.load.taskLoad(t, h.now), 1) : 1;
    if (byLoad && Math.floor(load / 2 ** nrBalanceFailed) > left) continue;
    migrate(h, t, from, to);
    left -= load;
    moved++;
  }
  return moved;
}

export function migrate(h: Host, t: Thread, from: RunQueue, to: RunQueue): void {
  h.schedOps.updateCurr(from);
  trackLoad(t, h.now);
  h.sched.unplace(from, t, true);
  from.remove(t);
  h.attachment.move(t, to.cpu);
  const bw = h.bandwidthOf(t);
  if (bw) returnRuntime(h, bw, from.cpu);
  to.add(t);
  h.sched.place(to, t, EnqueueKind.Migrate, from);
  if (t.delayed) return;
  // 6.18+: moved onto its VM's throttled cfs_rq, the thread is throttled at its first return to
  // user space (a vCPU: its first VM entry) — the model parks it on arrival.
  if (bw?.throttled[to.cpu]) {
    h.schedOps.parkThread(to, t);
    bw.parked[to.cpu]!.push(t);
    return;
  }
  h.kvmOps.pollInterrupted(to);
}
