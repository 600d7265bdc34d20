import { updateLoadAvg } from './pelt';
import { ThreadState, type Thread } from '../host/thread';

/**
 * A thread's PELT signals brought up to `nowNs` from what it was since its last update: on the
 * runqueue when runnable or running or delayed (update_load_avg at enqueue, dequeue, set_next_entity,
 * put_prev_entity and the tick all call this before the state changes). A throttled cfs_rq's PELT
 * clock stops (throttled_clock_pelt), so a throttled thread's signals skip that time.
 */
export function trackLoad(t: Thread, nowNs: number): void {
  const s = t.state;
  if (s === ThreadState.Throttled) {
    t.avg.lastNs = nowNs;
    return;
  }
  const asleep = s === ThreadState.Sleeping;
  // A delayed thread (DELAY_DEQUEUE) is on_rq: its load still accrues; it is not runnable
  // (se_runnable() is false for it since fc1892becd56 "sched/eevdf: Fixup PELT vs DELAYED_DEQUEUE", 6.12).
  updateLoadAvg(
    t.avg,
    nowNs,
    asleep && !t.delayed ? 0 : 1,
    asleep ? 0 : 1,
    s === ThreadState.Running,
    t.weight,
  );
}

/**
 * Which pCPU's cfs_rq each thread's signals are attached to: the one it runs or waits on, or the
 * one it last left when asleep, whose load keeps its blocked contribution decaying until the
 * thread wakes elsewhere (attach_entity_load_avg / remove_entity_load_avg on migration). A
 * cfs_rq's load_avg, runnable_avg and util_avg are then the sums of its attached threads' — what
 * the kernel's attach/detach bookkeeping keeps them equal to, up to rounding.
 */
export class CpuAttachment {
  readonly onCpu: Thread[][];
  private readonly pos: Int32Array;

  constructor(threads: readonly Thread[], pcpus: number) {
    this.onCpu = Array.from({ length: pcpus }, () => []);
    this.pos = new Int32Array(threads.length);
    for (const t of threads) {
      this.pos[t.id] = this.onCpu[t.cpu]!.length;
      this.onCpu[t.cpu]!.push(t);
    }
  }

  /** Sets `t.cpu`, moving its attached signals along. */
  move(t: Thread, cpu: number): void {
    if (t.cpu === cpu) return;
    const from = this.onCpu[t.cpu]!;
    const i = this.pos[t.id]!;
    const last = from.pop()!;
    if (last !== t) {
      from[i] = last;
      this.pos[last.id] = i;
    }
    this.pos[t.id] = this.onCpu[cpu]!.length;
    this.onCpu[cpu]!.push(t);
    t.cpu = cpu;
  }

  /** The pCPU's cfs_rq util_avg and runnable_avg (its threads' sums), brought up to `nowNs`. */
  utilAndRunnable(cpu: number, nowNs: number): { util: number; runnable: number } {
    let util = 0;
    let runnable = 0;
    for (const t of this.onCpu[cpu]!) {
      trackLoad(t, nowNs);
      util += t.avg.utilAvg;
      runnable += t.avg.runnableAvg;
    }
    return { util, runnable };
  }
}

/** What the load balancer reads of the cfs_rq hierarchy (flat, or GroupScheduler's per-VM one). */
export interface LoadView {
  /** cpu_load(): the root cfs_rq's load_avg on `cpu`. */
  cpuLoad(cpu: number, nowNs: number): number;
  /** task_h_load(): the thread's load as seen from the root, on the pCPU it is attached to. */
  taskLoad(t: Thread, nowNs: number): number;
}

/** Every thread at the root: a pCPU's load is its attached threads' load_avg. */
export class FlatLoad implements LoadView {
  constructor(private readonly attachment: CpuAttachment) {}

  cpuLoad(cpu: number, nowNs: number): number {
    let load = 0;
    for (const t of this.attachment.onCpu[cpu]!) {
      trackLoad(t, nowNs);
      load += t.avg.loadAvg;
    }
    return load;
  }

  taskLoad(t: Thread, nowNs: number): number {
    trackLoad(t, nowNs);
    return t.avg.loadAvg;
  }
}
