import { trackLoad, type CpuAttachment, type LoadView } from '../host/load-tracking';
import { RunQueue } from '../host/runqueue';
import { NICE_0_WEIGHT, Thread } from '../host/thread';
import { EnqueueKind, type HostScheduler } from './host-scheduler';
import { recomputeAvg, updateLoadAvg } from './pelt';

/** MIN_SHARES (kernel/sched/sched.h): a group entity never weighs less than this. */
const MIN_SHARES = 2;

/** cgroup v2 cpu.weight → shares (sched_weight_from_cgroup: weight × 1024 / 100, rounded). */
export function sharesOfCpuWeight(weight: number): number {
  return Math.round((weight * NICE_0_WEIGHT) / 100);
}

interface Group {
  shares: number;
  /** Per pCPU: the group's cfs_rq and the entity that stands for it on the pCPU's root cfs_rq. */
  child: RunQueue[];
  entity: Thread[];
  /** tg->load_avg, and per pCPU the cfs_rq's tg_load_avg_contrib to it. */
  loadAvg: number;
  contrib: Float64Array;
}

/**
 * Group scheduling with one cgroup per VM (CONFIG_FAIR_GROUP_SCHED; KubeVirt's pod cgroup,
 * libvirt's machine scope): on every pCPU the root cfs_rq holds one entity per VM with runnable
 * threads there (and the host's other threads), and each VM's cfs_rq holds its vCPU threads.
 * Any HostScheduler (CFS 5.6, EEVDF and its later rules) runs at both levels, as the kernel's
 * pick_next_task_fair() walks down and update_curr()/entity_tick() walk up for_each_sched_entity.
 *
 * Mirrors kernel/sched/fair.c: a group entity weighs calc_group_shares() of its cfs_rq, from PELT
 * load (below), recomputed where the kernel calls update_cfs_group() — enqueue, dequeue and the
 * tick of that pCPU; set_next_buddy() marks every level; CFS's set_skip_buddy() too, while
 * EEVDF's yield acts on the task's own entity; wakeup preemption compares the entities of the
 * first common level (find_matching_se). The paper's debooster tests "same cfs_rq" at the task
 * level: spinner and target share one only on the same pCPU.
 */
export class GroupScheduler implements HostScheduler, LoadView {
  readonly name: string;
  private readonly roots: RunQueue[];
  private readonly groups: Group[];
  /** Per thread id: its group, or −1 for a thread in the root cgroup. */
  private readonly groupOf: Int32Array;
  private nextEntityId: number;

  constructor(
    private readonly inner: HostScheduler,
    pcpus: number,
    /** cpu.weight of each group (VM). */
    weights: readonly number[],
    /** Per thread id (in the host's order): its group, or −1. */
    threadGroups: readonly number[],
    /** Where each thread's PELT signals are attached, and the host's clock (rq_clock_pelt). */
    private readonly attachment: CpuAttachment,
    private readonly clock: () => number,
  ) {
    this.name = `${inner.name}+cgroups`;
    this.roots = Array.from({ length: pcpus }, (_, cpu) => new RunQueue(cpu));
    this.groupOf = Int32Array.from(threadGroups);
    // Entity ids after every thread's, so ties between entities and threads stay deterministic.
    this.nextEntityId = threadGroups.length;
    this.groups = weights.map((w) => ({
      shares: sharesOfCpuWeight(w),
      child: Array.from({ length: pcpus }, (_, cpu) => new RunQueue(cpu)),
      entity: Array.from({ length: pcpus }, () => new Thread(this.nextEntityId++, -1, [])),
      loadAvg: 0,
      contrib: new Float64Array(pcpus),
    }));
  }

  /** The cfs_rq a thread is queued on at its own level, on `cpu`. */
  private own(t: Thread, cpu: number): RunQueue {
    const g = this.groupOf[t.id]!;
    return g < 0 ? this.roots[cpu]! : this.groups[g]!.child[cpu]!;
  }

  /** The root-level entity standing for `t` on `cpu`: its group's entity, or itself. */
  private top(t: Thread, cpu: number): Thread {
    const g = this.groupOf[t.id]!;
    return g < 0 ? t : this.groups[g]!.entity[cpu]!;
  }

  /** The group's cfs_rq load_avg on `cpu`: its threads attached there, brought up to now. */
  private childLoadAvg(g: number, cpu: number, now: number): number {
    let load = 0;
    for (const t of this.attachment.onCpu[cpu]!)
      if (this.groupOf[t.id] === g) {
        trackLoad(t, now);
        load += t.avg.loadAvg;
      }
    return load;
  }

  /** The group entity's own signals up to now: on the root cfs_rq while its cfs_rq has runnable threads. */
  private trackEntity(g: number, cpu: number, now: number): void {
    const queued = this.groups[g]!.child[cpu]!.threads.length;
    const e = this.groups[g]!.entity[cpu]!;
    updateLoadAvg(e.avg, now, queued > 0 ? 1 : 0, queued, false, e.weight);
  }

  /** update_tg_load_avg(): returns the cfs_rq's load_avg. */
  private publishLoad(g: number, cpu: number, now: number): number {
    const group = this.groups[g]!;
    const loadAvg = this.childLoadAvg(g, cpu, now);
    const contrib = group.contrib[cpu]!;
    if (Math.abs(loadAvg - contrib) > contrib / 64) {
      group.loadAvg += loadAvg - contrib;
      group.contrib[cpu] = loadAvg;
    }
    return loadAvg;
  }

  /**
   * update_tg_load_avg() then update_cfs_group() → calc_group_shares() (kernel/sched/fair.c,
   * 5.6–6.19): the cfs_rq publishes its load_avg to tg->load_avg when it moved by more than 1/64
   * of its last contribution; the entity then weighs
   *   shares = tg->shares · load / (tg->load_avg − contrib + load),  load = max(load.weight, load_avg)
   * clamped to [MIN_SHARES, tg->shares]. A VM of four 25 %-busy vCPUs with one runnable thus gets
   * about its load_avg's fraction of the shares, not all of them. reweight_entity() rescales the
   * entity's load_avg to the new weight at once.
   */
  private updateCfsGroup(g: number, cpu: number): void {
    const now = this.clock();
    const group = this.groups[g]!;
    const child = group.child[cpu]!;
    const loadAvg = this.publishLoad(g, cpu, now);
    if (child.threads.length === 0) return;
    const load = Math.max(child.threads.length * NICE_0_WEIGHT, loadAvg);
    const tgWeight = group.loadAvg - group.contrib[cpu]! + load;
    const shares = tgWeight > 0 ? (group.shares * load) / tgWeight : group.shares;
    const e = group.entity[cpu]!;
    this.trackEntity(g, cpu, now);
    this.inner.reweight(this.roots[cpu]!, e, Math.min(group.shares, Math.max(MIN_SHARES, shares)));
    recomputeAvg(e.avg, e.weight);
  }

  charge(rq: RunQueue, t: Thread, deltaNs: number): boolean {
    const g = this.groupOf[t.id]!;
    if (g < 0) return this.inner.charge(this.roots[rq.cpu]!, t, deltaNs);
    const e = this.groups[g]!.entity[rq.cpu]!;
    e.sumExecNs += deltaNs;
    const own = this.inner.charge(this.groups[g]!.child[rq.cpu]!, t, deltaNs);
    return this.inner.charge(this.roots[rq.cpu]!, e, deltaNs) || own;
  }

  place(rq: RunQueue, t: Thread, kind: EnqueueKind, from: RunQueue): void {
    const g = this.groupOf[t.id]!;
    const root = this.roots[rq.cpu]!;
    if (g < 0) {
      root.add(t);
      this.inner.place(root, t, kind, this.roots[from.cpu]!);
      return;
    }
    const child = this.groups[g]!.child[rq.cpu]!;
    this.trackEntity(g, rq.cpu, this.clock());
    child.add(t);
    this.inner.place(child, t, kind, this.groups[g]!.child[from.cpu]!);
    if (child.threads.length === 1) {
      // The group becomes runnable on this pCPU: enqueue_entity() of its entity, as a wakeup.
      const e = this.groups[g]!.entity[rq.cpu]!;
      root.add(e);
      this.inner.place(root, e, EnqueueKind.Wakeup, root);
    }
    // The cfs_rq it left publishes its lower load (remove_entity_load_avg, applied at its next update).
    if (from.cpu !== rq.cpu) this.publishLoad(g, from.cpu, this.clock());
    this.updateCfsGroup(g, rq.cpu);
  }

  unplace(rq: RunQueue, t: Thread, migrating: boolean): void {
    const g = this.groupOf[t.id]!;
    const root = this.roots[rq.cpu]!;
    if (g < 0) {
      this.inner.unplace(root, t, migrating);
      removeFrom(root, t);
      return;
    }
    const child = this.groups[g]!.child[rq.cpu]!;
    this.trackEntity(g, rq.cpu, this.clock());
    this.inner.unplace(child, t, migrating);
    removeFrom(child, t);
    if (child.threads.length === 0) {
      const e = this.groups[g]!.entity[rq.cpu]!;
      this.inner.unplace(root, e, false);
      removeFrom(root, e);
    }
    this.updateCfsGroup(g, rq.cpu);
  }

  /**
   * DELAY_DEQUEUE acts on the task's own cfs_rq: a delayed vCPU keeps its VM's cfs_rq queued, so
   * the group entity stays on the root with the shares its load gives it. (The kernel can also
   * delay a group entity whose cfs_rq empties while it is ineligible; not modelled.)
   */
  delaysDequeue(rq: RunQueue, t: Thread): boolean {
    this.mirrorCurr(rq);
    return this.inner.delaysDequeue(this.own(t, rq.cpu), t);
  }

  requeue(rq: RunQueue, t: Thread): void {
    this.mirrorCurr(rq);
    this.inner.requeue(this.own(t, rq.cpu), t);
    const g = this.groupOf[t.id]!;
    if (g >= 0) this.updateCfsGroup(g, rq.cpu);
  }

  /** pick_next_task_fair(): pick at the root, then inside the picked group. */
  pick(rq: RunQueue): Thread | null {
    this.mirrorCurr(rq);
    const root = this.roots[rq.cpu]!;
    const e = this.inner.pick(root);
    if (!e) return null;
    const g = this.groups.findIndex((grp) => grp.entity[rq.cpu] === e);
    return g < 0 ? e : this.inner.pick(this.groups[g]!.child[rq.cpu]!);
  }

  /** set_next_entity() at every level; the other groups' cfs_rqs on this pCPU have no curr. */
  picked(rq: RunQueue, t: Thread): void {
    const top = this.top(t, rq.cpu);
    if (top !== t) this.inner.picked(this.own(t, rq.cpu), t);
    this.inner.picked(this.roots[rq.cpu]!, top);
  }

  /** entity_tick() at every level of the running thread. */
  tick(rq: RunQueue): boolean {
    const curr = rq.curr;
    if (!curr) return false;
    this.mirrorCurr(rq);
    const own = this.own(curr, rq.cpu);
    const g = this.groupOf[curr.id]!;
    // entity_tick() → update_cfs_group() of the running thread's group on this pCPU.
    if (g >= 0) this.updateCfsGroup(g, rq.cpu);
    const root = this.roots[rq.cpu]!;
    let atOwn = false;
    if (own !== root) {
      // The thread's sched_slice() is its share of its group entity's share of the root.
      let rootLoad = 0;
      for (const e of root.threads) rootLoad += e.weight;
      const top = this.top(curr, rq.cpu);
      atOwn = this.inner.tick(own, top.weight / Math.max(rootLoad, top.weight));
    }
    return this.inner.tick(root) || atOwn;
  }

  // ---- LoadView: what the load balancer reads ---------------------------------------------

  /** The root cfs_rq's load_avg: each group entity's and each root-level thread's. */
  cpuLoad(cpu: number, now: number): number {
    let load = 0;
    for (let g = 0; g < this.groups.length; g++) {
      this.trackEntity(g, cpu, now);
      load += this.groups[g]!.entity[cpu]!.avg.loadAvg;
    }
    for (const t of this.attachment.onCpu[cpu]!)
      if (this.groupOf[t.id]! < 0) {
        trackLoad(t, now);
        load += t.avg.loadAvg;
      }
    return load;
  }

  /**
   * task_h_load() (update_cfs_rq_h_load): the root's h_load is its load_avg; a group's cfs_rq
   * gets its entity's share of it, h_load · se.load_avg / (parent load_avg + 1); a thread its
   * share of that, load_avg · h_load / (cfs_rq load_avg + 1).
   */
  taskLoad(t: Thread, now: number): number {
    trackLoad(t, now);
    const g = this.groupOf[t.id]!;
    if (g < 0) return t.avg.loadAvg;
    const root = this.cpuLoad(t.cpu, now);
    const hLoad = Math.floor((root * this.groups[g]!.entity[t.cpu]!.avg.loadAvg) / (root + 1));
    return Math.floor((t.avg.loadAvg * hLoad) / (this.childLoadAvg(g, t.cpu, now) + 1));
  }

  /** check_preempt_wakeup(): compare the two threads' entities at their first common level. */
  wakeupPreempts(rq: RunQueue, woken: Thread): boolean {
    const curr = rq.curr;
    if (!curr) return true;
    this.mirrorCurr(rq);
    const g = this.groupOf[woken.id]!;
    if (g >= 0 && g === this.groupOf[curr.id])
      return this.inner.wakeupPreempts(this.own(curr, rq.cpu), woken);
    return this.inner.wakeupPreempts(this.roots[rq.cpu]!, this.top(woken, rq.cpu));
  }

  /** A thread's own weight, on its own cfs_rq (threads are nice 0; group entities change in updateCfsGroup). */
  reweight(rq: RunQueue, t: Thread, weight: number): void {
    this.inner.reweight(this.own(t, rq.cpu), t, weight);
  }

  /** yield_task_fair() on the task's own cfs_rq; CFS also marks the skip buddy at every level. */
  yieldTask(rq: RunQueue, t: Thread): void {
    this.mirrorCurr(rq);
    this.inner.yieldTask(this.own(t, rq.cpu), t);
    if (this.inner.skipBuddyEveryLevel && this.groupOf[t.id]! >= 0)
      this.roots[rq.cpu]!.skip = this.top(t, rq.cpu);
  }

  /**
   * yield_to_task_fair(): set_next_buddy() marks the target at every level, then the spinner
   * yields on its own cfs_rq (the class's hook — the debooster — sees the two tasks' cfs_rqs).
   */
  yieldToTask(
    spinnerRq: RunQueue,
    spinner: Thread,
    targetRq: RunQueue,
    target: Thread,
    nowNs: number,
  ): boolean {
    this.mirrorCurr(spinnerRq);
    this.mirrorCurr(targetRq);
    const ok = this.inner.yieldToTask(
      this.own(spinner, spinnerRq.cpu),
      spinner,
      this.own(target, targetRq.cpu),
      target,
      nowNs,
    );
    if (!ok) return false;
    if (this.groupOf[target.id]! >= 0) this.roots[targetRq.cpu]!.next = this.top(target, targetRq.cpu);
    if (this.inner.skipBuddyEveryLevel && this.groupOf[spinner.id]! >= 0)
      this.roots[spinnerRq.cpu]!.skip = this.top(spinner, spinnerRq.cpu);
    return true;
  }

  /**
   * Every level's curr follows the pCPU's: the host blocks and preempts threads without telling
   * the class (put_prev_entity clears cfs_rq->curr on the way up).
   */
  private mirrorCurr(rq: RunQueue): void {
    for (const grp of this.groups) grp.child[rq.cpu]!.curr = null;
    const curr = rq.curr;
    this.roots[rq.cpu]!.curr = curr ? this.top(curr, rq.cpu) : null;
    if (curr && this.groupOf[curr.id]! >= 0) this.own(curr, rq.cpu).curr = curr;
  }
}

/** Takes `t` off a level's runqueue, and off its curr. */
function removeFrom(rq: RunQueue, t: Thread): void {
  rq.remove(t);
  if (rq.curr === t) rq.curr = null;
}
