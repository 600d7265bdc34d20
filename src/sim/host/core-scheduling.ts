import { YieldResult } from '../kvm/directed-yield';
import { accountRuntime, parkedOnWake, returnRuntime, throttleIfOut } from './bandwidth';
import { BALANCE_TICKS } from './load-balance';
import type { Vcpu } from '../kvm/vcpu';
import { EnqueueKind } from '../sched/host-scheduler';
import type { Host } from './ports';
import { trackLoad } from '../sched/load-tracking';
import type { RunQueue } from './runqueue';
import { ThreadState, type Thread } from './thread';

export function tick(h: Host): void {
  const balance = Math.round(h.now / h.tickNs) % BALANCE_TICKS === 0;
  for (const rq of h.rqs) {
    if (!rq.curr) {
      // Idle balance (CPU_IDLE): attach_task() → wakeup_preempt() reschedules the idle pCPU, so
      // it runs what it pulled at once.
      if (rq.threads.length === 0 && h.schedOps.pullTo(rq, false)) schedule(h, rq);
      continue;
    }
    if (rq.curr.vcpu >= 0) h.kvmOps.tickExit(h.vcpus[rq.curr.vcpu]!);
    updateCurr(h, rq);
    if (h.sched.tick(rq) || rq.needResched) schedule(h, rq);
  }
  if (balance) h.schedOps.balance();
}

/** update_curr(): charge the running thread up to now. */
export function updateCurr(h: Host, rq: RunQueue): void {
  const c = rq.curr;
  if (!c) return;
  const delta = h.now - c.execStartNs;
  if (delta <= 0) return;
  c.sumExecNs += delta;
  c.runNs += delta;
  rq.busyNs += delta;
  c.execStartNs = h.now;
  if (h.sched.charge(rq, c, delta)) rq.needResched = true;
  accountRuntime(h, rq, c, delta);
}

/** __schedule() on one pCPU. */
export function schedule(h: Host, rq: RunQueue): void {
  updateCurr(h, rq);
  throttleIfOut(h, rq);
  rq.needResched = false;
  const prev = rq.curr;
  let next = pickNext(h, rq);
  if (!next && h.schedOps.pullTo(rq, true)) next = pickNext(h, rq);
  const boosted = h.boosted[rq.cpu];
  if (boosted) {
    if (next === boosted) h.boostedBy[rq.cpu]!.boostsHonoured++;
    h.boosted[rq.cpu] = null;
    h.boostedBy[rq.cpu] = null;
  }
  if (prev === next) return;
  // set_next_entity() only for a new pick: pick_next_task_fair() (5.6–6.11; put_prev_set_next_task()
  // from 6.12) leaves a re-picked prev as it was, its slice start (prev_sum_exec_runtime) and
  // EEVDF's run-to-parity mark (the deadline it was picked with) included — so a yielder picked
  // again after pushing its deadline runs unprotected.
  if (next) h.sched.picked(rq, next);
  if (prev) switchOut(h, prev);
  rq.curr = next;
  if (next) {
    if (!prev) h.idleNs[rq.cpu]! += h.now - h.idleSince[rq.cpu]!;
    switchIn(h, rq, next);
  } else if (prev) h.idleSince[rq.cpu] = h.now;
}

/**
 * pick_task_fair(): the class's pick; a delayed thread it chooses is dequeued now (its sleep
 * finished, pick_next_entity() 6.12+) and the pick starts over.
 */
function pickNext(h: Host, rq: RunQueue): Thread | null {
  let next = h.sched.pick(rq);
  while (next?.delayed) {
    finishDelayed(h, rq, next);
    next = h.sched.pick(rq);
  }
  return next;
}

/**
 * dequeue_entities(DEQUEUE_SLEEP | DEQUEUE_DELAYED): a delayed thread leaves its runqueue, as it
 * would have when it blocked; with its VM's last thread there gone, the cfs_rq returns its runtime.
 */
export function finishDelayed(h: Host, rq: RunQueue, t: Thread): void {
  trackLoad(t, h.now);
  h.sched.unplace(rq, t, false);
  rq.remove(t);
  t.delayed = false;
  const bw = h.bandwidthOf(t);
  if (bw) returnRuntime(h, bw, rq.cpu);
}

/** A runnable thread loses its pCPU (preemption or yield); KVM's sched_out notifier runs. */
export function switchOut(h: Host, t: Thread): void {
  trackLoad(t, h.now);
  t.state = ThreadState.Runnable;
  t.runnableSinceNs = h.now;
  preempted(h, t);
}

/**
 * A thread that stays runnable leaves its pCPU (switched out, or throttled with its cfs_rq): for a
 * vCPU, its guest stops and kvm_sched_out marks it preempted; a mutex it owns tells its spinners.
 */
function preempted(h: Host, t: Thread): void {
  t.involuntarySwitches++;
  if (t.vcpu < 0) {
    h.loadOps.pauseLoad(t);
    return;
  }
  const v = h.vcpus[t.vcpu]!;
  h.guestOps.accountGuest(v);
  v.guestGen++;
  h.kvmOps.kvmSchedOut(v, true);
  if (v.mutex >= 0 && h.vms[v.vm]!.mutexOwner[v.mutex] === v.id) h.guestOps.ownerPreempted(v);
}

/** A thread gets a pCPU; for a vCPU, KVM's sched_in notifier runs and the guest resumes. */
export function switchIn(h: Host, rq: RunQueue, t: Thread): void {
  if (t.state === ThreadState.Running) throw new Error(`thread ${t.id} would run on two pCPUs`);
  trackLoad(t, h.now);
  t.state = ThreadState.Running;
  h.attachment.move(t, rq.cpu);
  t.waitNs += h.now - t.runnableSinceNs;
  t.timeslices++;
  t.execStartNs = h.now;
  t.queuedNs = h.now;
  if (t.vcpu < 0) {
    h.loadOps.resumeLoad(t);
    return;
  }
  const v = h.vcpus[t.vcpu]!;
  h.kvmOps.kvmSchedIn(v);
  v.activityStartNs = h.now;
  v.guestGen++;
  h.guestOps.continueGuest(v);
}

/** A running thread blocks (HLT, PV wait, host load sleep). */
export function blockThread(h: Host, t: Thread): void {
  const rq = h.rqs[t.cpu]!;
  updateCurr(h, rq);
  trackLoad(t, h.now);
  // DELAY_DEQUEUE (6.12+): an ineligible thread stays queued, asleep, until picked or woken.
  if (h.sched.delaysDequeue(rq, t)) t.delayed = true;
  else {
    h.sched.unplace(rq, t, false);
    rq.remove(t);
  }
  t.state = ThreadState.Sleeping;
  t.voluntarySwitches++;
  h.sleepSince[t.id] = h.now;
  if (t.vcpu >= 0) {
    const v = h.vcpus[t.vcpu]!;
    h.kvmOps.kvmSchedOut(v, false);
    v.guestGen++;
    h.haltSince[v.id] = h.now;
  }
  rq.curr = null;
  h.idleSince[rq.cpu] = h.now;
  const bw = h.bandwidthOf(t);
  if (bw) returnRuntime(h, bw, rq.cpu);
  schedule(h, rq);
}

/**
 * try_to_wake_up(): select a pCPU, enqueue, maybe preempt its current thread. `waker`: the running
 * thread that wakes `t`, if any (select_task_rq_fair() weighs its pCPU).
 */
export function wakeThread(h: Host, t: Thread, kind: EnqueueKind, waker?: Thread): void {
  if (t.state !== ThreadState.Sleeping) return;
  trackLoad(t, h.now);
  const from = h.rqs[t.cpu]!;
  if (kind !== EnqueueKind.New) h.sleepNs[t.id]! += h.now - h.sleepSince[t.id]!;
  if (t.vcpu >= 0 && kind !== EnqueueKind.New) h.vcpus[t.vcpu]!.haltedNs += h.now - h.haltSince[t.vcpu]!;
  if (t.delayed && wakeDelayed(h, from, t)) return;
  const rq = h.rqs[h.schedOps.selectCpu(t, waker)]!;
  h.attachment.move(t, rq.cpu);
  if (parkedOnWake(h, t, rq.cpu)) return;
  enqueue(h, rq, t, kind, from);
}

/**
 * ttwu_do_activate(): enqueue a thread made runnable and let it preempt the running one
 * (check_preempt_curr), or run at once on an idle pCPU, or end a halt-poll there.
 */
function enqueue(h: Host, rq: RunQueue, t: Thread, kind: EnqueueKind, from: RunQueue): void {
  rq.add(t);
  h.sched.place(rq, t, kind, from);
  t.queuedNs = h.now;
  runnable(h, rq, t);
}

/**
 * ttwu_runnable() for a delayed thread (it is still queued on `rq`): from d68803506ffb ("sched/
 * fair: Dequeue sched_delayed tasks when waking to a busy CPU", tip sched/urgent 2024-11-11,
 * for 6.12) one whose runqueue holds others and that may run elsewhere is dequeued and takes
 * the full wakeup (select_task_rq, placement with its lag) — false; otherwise it is requeued
 * where it is (requeue_delayed_entity) and may preempt — true.
 */
function wakeDelayed(h: Host, rq: RunQueue, t: Thread): boolean {
  if (rq.threads.length > 1 && t.allowed.length > 1) {
    finishDelayed(h, rq, t);
    return false;
  }
  h.sched.requeue(rq, t);
  t.delayed = false;
  runnable(h, rq, t);
  return true;
}

/** ttwu_do_wakeup(): `t`, queued on `rq`, is runnable; it runs at once there or may preempt. */
function runnable(h: Host, rq: RunQueue, t: Thread): void {
  t.state = ThreadState.Runnable;
  t.runnableSinceNs = h.now;
  if (!rq.curr) {
    schedule(h, rq);
    return;
  }
  if (h.kvmOps.pollInterrupted(rq)) return;
  updateCurr(h, rq);
  if (h.sched.wakeupPreempts(rq, t) || rq.needResched) schedule(h, rq);
}

/**
 * yield_to(target, preempt=true) (kernel/sched/core.c): −ESRCH when both runqueues hold a single
 * task, 0 when the target runs already or sleeps, else the class sets the next buddy and the
 * yielder reschedules (and the target's pCPU too, if it is another).
 */
export function directedYield(h: Host, me: Vcpu, target: Vcpu): YieldResult {
  const s = me.thread;
  const t = target.thread;
  const rq = h.rqs[s.cpu]!;
  const prq = h.rqs[t.cpu]!;
  if (rq.threads.length === 1 && prq.threads.length === 1) return YieldResult.NoSuchTask;
  if (t.state !== ThreadState.Runnable) return YieldResult.NotNow;
  updateCurr(h, rq);
  if (prq !== rq) updateCurr(h, prq);
  if (!h.sched.yieldToTask(rq, s, prq, t, h.now)) return YieldResult.NotNow;
  h.yieldCount[rq.cpu]!++;
  h.boosted[prq.cpu] = t;
  h.boostedBy[prq.cpu] = me;
  if (prq !== rq) schedule(h, prq);
  if (s.state === ThreadState.Running) schedule(h, rq);
  return YieldResult.Boosted;
}

/**
 * throttle_cfs_rq() takes a thread off its runqueue with its cgroup's cfs_rq. It stays
 * TASK_RUNNING and on_rq in its throttled cfs_rq: for KVM a vCPU leaving its pCPU so is preempted
 * (kvm_sched_out), and yield_to_task_fair() refuses it (throttled_hierarchy).
 */
export function parkThread(h: Host, rq: RunQueue, t: Thread): void {
  const running = rq.curr === t;
  trackLoad(t, h.now);
  h.sched.unplace(rq, t, false);
  rq.remove(t);
  if (running) {
    rq.curr = null;
    h.idleSince[rq.cpu] = h.now;
    preempted(h, t);
  } else t.waitNs += h.now - t.runnableSinceNs;
  t.state = ThreadState.Throttled;
  t.throttledSinceNs = h.now;
}

/** unthrottle_cfs_rq() puts a parked thread back on its runqueue, as a wakeup would. */
export function unparkThread(h: Host, rq: RunQueue, t: Thread, kind: EnqueueKind): void {
  t.throttledNs += h.now - t.throttledSinceNs;
  trackLoad(t, h.now); // the throttled time is skipped (its PELT clock stopped)
  h.attachment.move(t, rq.cpu);
  enqueue(h, rq, t, kind, rq);
}
