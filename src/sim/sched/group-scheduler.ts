import { trackLoad, type CpuAttachment, type LoadView } from './load-tracking';
import { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';
import { EnqueueKind, type HostScheduler } from './host-scheduler';
import { buildGroups, MIN_SHARES, removeFrom, type Group, type GroupSpec } from './group-tree';
import { recomputeAvg, updateLoadAvg } from './pelt';

/**
 * Group scheduling (CONFIG_FAIR_GROUP_SCHED) over a tree of cgroups: one per VM (libvirt's
 * machine scope) under the root, or KubeVirt's kubepods → QoS slice → pod. On every pCPU each
 * cgroup with runnable threads there has a cfs_rq holding its threads and its child cgroups'
 * entities, and an entity on its parent's cfs_rq; the root cfs_rq holds the top cgroups' entities
 * and the host's other threads. Any HostScheduler (CFS 5.6, EEVDF and its later rules) runs at
 * every level, as the kernel's pick_next_task_fair() walks down and update_curr()/entity_tick()
 * walk up for_each_sched_entity.
 *
 * Mirrors kernel/sched/fair.c: a group entity weighs calc_group_shares() of its cfs_rq, from PELT
 * load (below), recomputed where the kernel calls update_cfs_group() — enqueue, dequeue and the
 * tick of that pCPU, at every level of the thread's path; set_next_buddy() marks every level;
 * CFS's set_skip_buddy() too, while EEVDF's yield acts on the task's own entity; wakeup
 * preemption compares the entities of the first common level (find_matching_se). The paper's
 * debooster tests "same cfs_rq" at the task level: spinner and target share one only on the
 * same pCPU.
 */
export class GroupScheduler implements HostScheduler, LoadView {
  readonly name: string;
  private readonly roots: RunQueue[];
  private readonly groups: Group[];
  /** Per thread id: its group, or −1 for a thread in the root cgroup. */
  private readonly groupOf: Int32Array;
  /** Entity ids follow every thread's: group g's entity on pCPU c is firstEntityId + g · pcpus + c. */
  private readonly firstEntityId: number;

  constructor(
    private readonly inner: HostScheduler,
    private readonly pcpus: number,
    /** Each group's cpu.weight and parent; a thread's group is one of them. */
    specs: readonly GroupSpec[],
    /** Per thread id (in the host's order): its group, or −1. */
    threadGroups: readonly number[],
    /** Where each thread's PELT signals are attached, and the host's clock (rq_clock_pelt). */
    private readonly attachment: CpuAttachment,
    private readonly clock: () => number,
  ) {
    this.name = `${inner.name}+cgroups`;
    this.roots = Array.from({ length: pcpus }, (_, cpu) => new RunQueue(cpu));
    this.groupOf = Int32Array.from(threadGroups);
    this.firstEntityId = threadGroups.length;
    this.groups = buildGroups(specs, pcpus, this.firstEntityId);
  }

  /** The cfs_rq a group's entity is queued on, on `cpu`: its parent group's, or the root. */
  private parentRq(g: number, cpu: number): RunQueue {
    const p = this.groups[g]!.parent;
    return p < 0 ? this.roots[cpu]! : this.groups[p]!.child[cpu]!;
  }

  /** The cfs_rq a thread is queued on at its own level, on `cpu`. */
  private own(t: Thread, cpu: number): RunQueue {
    const g = this.groupOf[t.id]!;
    return g < 0 ? this.roots[cpu]! : this.groups[g]!.child[cpu]!;
  }

  /** The group an entity stands for, or −1 for a thread. */
  private groupOfEntity(e: Thread): number {
    return e.id < this.firstEntityId ? -1 : Math.floor((e.id - this.firstEntityId) / this.pcpus);
  }

  /** The groups from `t`'s own up to the top one under the root (for_each_sched_entity). */
  private path(t: Thread): readonly number[] {
    const g = this.groupOf[t.id]!;
    return g < 0 ? NO_GROUPS : this.groups[g]!.path;
  }

  /** The root-level entity standing for `t` on `cpu`: its top group's entity, or itself. */
  private top(t: Thread, cpu: number): Thread {
    const path = this.path(t);
    return path.length === 0 ? t : this.groups[path[path.length - 1]!]!.entity[cpu]!;
  }

  /**
   * A group's cfs_rq load_avg on `cpu`, brought up to now: its threads attached there, and the
   * entities of its child groups.
   */
  private childLoadAvg(g: number, cpu: number, now: number): number {
    let load = 0;
    for (const t of this.attachment.onCpu[cpu]!)
      if (this.groupOf[t.id] === g) {
        trackLoad(t, now);
        load += t.avg.loadAvg;
      }
    for (let c = 0; c < this.groups.length; c++)
      if (this.groups[c]!.parent === g) {
        this.trackEntity(c, cpu, now);
        load += this.groups[c]!.entity[cpu]!.avg.loadAvg;
      }
    return load;
  }

  /**
   * The group entity's own signals up to now: on its parent's cfs_rq while its cfs_rq has
   * entities, runnable as many times as threads are queued below it (se_runnable(): h_nr_running).
   */
  private trackEntity(g: number, cpu: number, now: number): void {
    const queued = this.queuedBelow(g, cpu);
    const e = this.groups[g]!.entity[cpu]!;
    updateLoadAvg(e.avg, now, queued > 0 ? 1 : 0, queued, false, e.weight);
  }

  /** h_nr_running: the threads queued in a group's cfs_rq and in its child groups', on `cpu`. */
  private queuedBelow(g: number, cpu: number): number {
    const child = this.groups[g]!.child[cpu]!;
    if (!this.groups[g]!.hasChildren) return child.threads.length;
    let n = 0;
    for (const e of child.threads) {
      const c = this.groupOfEntity(e);
      n += c < 0 ? 1 : this.queuedBelow(c, cpu);
    }
    return n;
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
    let weight = 0;
    for (const e of child.threads) weight += e.weight;
    const load = Math.max(weight, loadAvg);
    const tgWeight = group.loadAvg - group.contrib[cpu]! + load;
    const shares = tgWeight > 0 ? (group.shares * load) / tgWeight : group.shares;
    const e = group.entity[cpu]!;
    this.trackEntity(g, cpu, now);
    this.inner.reweight(this.parentRq(g, cpu), e, Math.min(group.shares, Math.max(MIN_SHARES, shares)));
    recomputeAvg(e.avg, e.weight);
  }

  charge(rq: RunQueue, t: Thread, deltaNs: number): boolean {
    let resched = this.inner.charge(this.own(t, rq.cpu), t, deltaNs);
    for (const g of this.path(t)) {
      const e = this.groups[g]!.entity[rq.cpu]!;
      e.sumExecNs += deltaNs;
      resched = this.inner.charge(this.parentRq(g, rq.cpu), e, deltaNs) || resched;
    }
    return resched;
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
    // A cgroup becoming runnable on this pCPU: enqueue_entity() of its entity, as a wakeup, and
    // so on up while each parent becomes runnable too.
    for (let c = g; this.groups[c]!.child[rq.cpu]!.threads.length === 1;) {
      const p = this.groups[c]!.parent;
      if (p >= 0) this.trackEntity(p, rq.cpu, this.clock());
      const parent = this.parentRq(c, rq.cpu);
      const e = this.groups[c]!.entity[rq.cpu]!;
      parent.add(e);
      this.inner.place(parent, e, EnqueueKind.Wakeup, parent);
      if (p < 0) break;
      c = p;
    }
    const path = this.path(t);
    // The cfs_rqs it left publish their lower load (remove_entity_load_avg, applied at their next update).
    if (from.cpu !== rq.cpu) for (const c of path) this.publishLoad(c, from.cpu, this.clock());
    for (const c of path) this.updateCfsGroup(c, rq.cpu);
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
    // A cgroup left without entities on this pCPU: dequeue_entity() of its entity, and on up.
    for (let c = g; this.groups[c]!.child[rq.cpu]!.threads.length === 0;) {
      const p = this.groups[c]!.parent;
      if (p >= 0) this.trackEntity(p, rq.cpu, this.clock());
      const parent = this.parentRq(c, rq.cpu);
      const e = this.groups[c]!.entity[rq.cpu]!;
      this.inner.unplace(parent, e, false);
      removeFrom(parent, e);
      if (p < 0) break;
      c = p;
    }
    for (const c of this.path(t)) this.updateCfsGroup(c, rq.cpu);
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
    for (const g of this.path(t)) this.updateCfsGroup(g, rq.cpu);
  }

  /** pick_next_task_fair(): pick at the root, then inside each picked group down to a thread. */
  pick(rq: RunQueue): Thread | null {
    this.mirrorCurr(rq);
    let e = this.inner.pick(this.roots[rq.cpu]!);
    for (let g = e ? this.groupOfEntity(e) : -1; g >= 0; g = e ? this.groupOfEntity(e) : -1)
      e = this.inner.pick(this.groups[g]!.child[rq.cpu]!);
    return e;
  }

  /** set_next_entity() at every level; the other groups' cfs_rqs on this pCPU have no curr. */
  picked(rq: RunQueue, t: Thread): void {
    this.inner.picked(this.own(t, rq.cpu), t);
    for (const g of this.path(t))
      this.inner.picked(this.parentRq(g, rq.cpu), this.groups[g]!.entity[rq.cpu]!);
  }

  /** entity_tick() at every level of the running thread. */
  tick(rq: RunQueue): boolean {
    const curr = rq.curr;
    if (!curr) return false;
    this.mirrorCurr(rq);
    const path = this.path(curr);
    // entity_tick() → update_cfs_group() of each group the running thread is in, on this pCPU.
    for (const g of path) this.updateCfsGroup(g, rq.cpu);
    // CFS's sched_slice() at a level is that level's share times every level's above it: from the
    // root down, each group's cfs_rq ticks with the product of its ancestors' weight fractions.
    let resched = this.inner.tick(this.roots[rq.cpu]!);
    let scale = 1;
    for (let i = path.length - 1; i >= 0; i--) {
      const g = path[i]!;
      const e = this.groups[g]!.entity[rq.cpu]!;
      let load = 0;
      for (const o of this.parentRq(g, rq.cpu).threads) load += o.weight;
      scale *= e.weight / Math.max(load, e.weight);
      resched = this.inner.tick(this.groups[g]!.child[rq.cpu]!, scale) || resched;
    }
    return resched;
  }

  // ---- LoadView: what the load balancer reads ---------------------------------------------

  /** The root cfs_rq's load_avg: each top group's entity's and each root-level thread's. */
  cpuLoad(cpu: number, now: number): number {
    let load = 0;
    for (let g = 0; g < this.groups.length; g++) {
      if (this.groups[g]!.parent >= 0) continue;
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
   * task_h_load() (update_cfs_rq_h_load): the root's h_load is its load_avg; each cfs_rq down
   * the thread's path gets its entity's share of its parent's, h_load · se.load_avg / (parent
   * load_avg + 1); a thread its share of its own cfs_rq's, load_avg · h_load / (load_avg + 1).
   */
  taskLoad(t: Thread, now: number): number {
    trackLoad(t, now);
    const path = this.path(t);
    if (path.length === 0) return t.avg.loadAvg;
    let parentLoad = this.cpuLoad(t.cpu, now);
    let hLoad = parentLoad;
    for (let i = path.length - 1; i >= 0; i--) {
      const g = path[i]!;
      hLoad = Math.floor((hLoad * this.groups[g]!.entity[t.cpu]!.avg.loadAvg) / (parentLoad + 1));
      parentLoad = this.childLoadAvg(g, t.cpu, now);
    }
    return Math.floor((t.avg.loadAvg * hLoad) / (parentLoad + 1));
  }

  /** check_preempt_wakeup(): compare the two threads' entities at their first common level. */
  wakeupPreempts(rq: RunQueue, woken: Thread): boolean {
    const curr = rq.curr;
    if (!curr) return true;
    this.mirrorCurr(rq);
    // find_matching_se(): the entities of both on the deepest cfs_rq they share.
    // Paths are bottom up; `shared` counts the groups both are in, from the top.
    const a = this.path(curr);
    const b = this.path(woken);
    let shared = 0;
    while (shared < a.length && shared < b.length && a[a.length - 1 - shared] === b[b.length - 1 - shared])
      shared++;
    const level = shared === 0 ? this.roots[rq.cpu]! : this.groups[b[b.length - shared]!]!.child[rq.cpu]!;
    const below = b.length - 1 - shared;
    return this.inner.wakeupPreempts(level, below >= 0 ? this.groups[b[below]!]!.entity[rq.cpu]! : woken);
  }

  /** A thread's own weight, on its own cfs_rq (threads are nice 0; group entities change in updateCfsGroup). */
  reweight(rq: RunQueue, t: Thread, weight: number): void {
    this.inner.reweight(this.own(t, rq.cpu), t, weight);
  }

  /** yield_task_fair() on the task's own cfs_rq; CFS also marks the skip buddy at every level. */
  yieldTask(rq: RunQueue, t: Thread): void {
    this.mirrorCurr(rq);
    this.inner.yieldTask(this.own(t, rq.cpu), t);
    if (this.inner.skipBuddyEveryLevel) this.markEveryLevel(t, rq.cpu, 'skip');
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
    this.markEveryLevel(target, targetRq.cpu, 'next');
    if (this.inner.skipBuddyEveryLevel) this.markEveryLevel(spinner, spinnerRq.cpu, 'skip');
    return true;
  }

  /** Sets a buddy on every cfs_rq above `t`'s own to the entity standing for it there. */
  private markEveryLevel(t: Thread, cpu: number, buddy: 'next' | 'skip'): void {
    for (const g of this.path(t)) this.parentRq(g, cpu)[buddy] = this.groups[g]!.entity[cpu]!;
  }

  /**
   * Every level's curr follows the pCPU's: the host blocks and preempts threads without telling
   * the class (put_prev_entity clears cfs_rq->curr on the way up).
   */
  private mirrorCurr(rq: RunQueue): void {
    for (const grp of this.groups) grp.child[rq.cpu]!.curr = null;
    const curr = rq.curr;
    this.roots[rq.cpu]!.curr = curr ? this.top(curr, rq.cpu) : null;
    if (!curr) return;
    const path = this.path(curr);
    if (path.length === 0) return;
    this.own(curr, rq.cpu).curr = curr;
    for (let i = 1; i < path.length; i++)
      this.groups[path[i]!]!.child[rq.cpu]!.curr = this.groups[path[i - 1]!]!.entity[rq.cpu]!;
  }
}

const NO_GROUPS: readonly number[] = [];
