import { HostEvent } from '../host/host-event';
import type { Host } from '../host/ports';
import { Activity, NextOp, type Vcpu } from '../kvm/vcpu';
import { settleSection } from './section-ahead';
import { drawSegment } from './segment';

/** Close the guest-time interval of a running vCPU's current activity. */
export function accountGuest(h: Host, v: Vcpu): void {
  if (v.sectionEndNs >= 0) settleSection(h, v);
  const elapsed = h.now - v.activityStartNs;
  v.activityStartNs = h.now;
  if (elapsed <= 0) return;
  if (v.activity === Activity.Compute) v.burstLeftNs -= elapsed;
  switch (v.activity) {
    case Activity.Compute:
    case Activity.CriticalSection:
    case Activity.Handler:
      v.usefulNs += elapsed;
      v.remainingNs -= elapsed;
      break;
    case Activity.SpinLock:
    case Activity.SpinIpi:
    case Activity.SpinMutex:
      v.spinNs += elapsed;
      v.remainingNs -= elapsed;
      break;
  }
}

export function setActivity(
  h: Host,
  v: Vcpu,
  activity: Activity,
  remainingNs: number,
  userMode: boolean,
): void {
  accountGuest(h, v);
  v.activity = activity;
  v.remainingNs = remainingNs;
  v.userMode = userMode;
  v.guestGen++;
}

export function pushGuest(h: Host, v: Vcpu): void {
  h.queue.push(h.now + Math.max(0, v.remainingNs), HostEvent.Guest, v.id, v.guestGen);
}

export function armSpin(h: Host, v: Vcpu): void {
  h.kvmOps.armPauseLoop(v);
  if (v.activity === Activity.SpinLock && h.vms[v.vm]!.work.pvSpinlocks) pushGuest(h, v);
}

/** Entering the guest (sched-in, handler return): carry on with what the vCPU was doing. */
export function continueGuest(h: Host, v: Vcpu): void {
  if (v.handlerQueue.length > 0 && v.activity !== Activity.Handler) {
    h.guestOps.startHandler(v);
    return;
  }
  switch (v.activity) {
    case Activity.Compute:
    case Activity.CriticalSection:
    case Activity.Handler:
      pushGuest(h, v);
      break;
    case Activity.SpinLock:
      if (!h.guestOps.tryTakeLock(v)) armSpin(h, v);
      break;
    case Activity.SpinIpi:
      if (v.roundPending === 0) h.guestOps.completeRound(v);
      else armSpin(h, v);
      break;
    case Activity.Halted:
      if (h.now < v.idleUntilNs) halt(h, v, v.idleUntilNs);
      else startBurst(h, v);
      break;
    case Activity.SpinMutex:
    case Activity.MutexWait:
      h.guestOps.tryMutex(v);
      break;
    case Activity.PvHalted:
      // Kicked (or interrupted): pv_wait returns and the waiter spins again.
      setActivity(h, v, Activity.SpinLock, h.guestOps.pvSpinNs(v), false);
      continueGuest(h, v);
      break;
  }
}

/** A timed guest activity ended. */
export function guestStep(h: Host, v: Vcpu): void {
  accountGuest(h, v);
  switch (v.activity) {
    case Activity.Compute: {
      const op = v.nextOp;
      if (op === NextOp.Lock) h.guestOps.startLock(v);
      else if (op === NextOp.IpiRound) h.guestOps.startRound(v);
      else if (op === NextOp.Mutex) h.guestOps.startMutex(v);
      else endBurst(h, v);
      break;
    }
    case Activity.CriticalSection: {
      if (v.mutex >= 0) {
        const sleeper = h.guestOps.releaseMutex(v);
        nextSegment(h, v);
        if (sleeper) h.guestOps.wakeMutexWaiter(sleeper, v);
        break;
      }
      const kick = h.guestOps.releaseLock(v);
      nextSegment(h, v);
      if (kick) h.guestOps.kick(v, kick);
      break;
    }
    case Activity.Handler: {
      const sender = h.vcpus[v.handlerQueue.shift()!]!;
      // The handler's EOI, before the vCPU goes on: a trapped APIC write unless APICv virtualises
      // it (an edge IPI's EOI does not exit).
      h.kvm.onEoi(h, v, !h.postedInterrupts);
      if (v.handlerQueue.length > 0) {
        setActivity(h, v, Activity.Handler, h.guestOps.handlerNs(v), false);
        pushGuest(h, v);
      } else {
        setActivity(h, v, v.savedActivity, v.savedRemainingNs, v.savedUserMode);
        continueGuest(h, v);
      }
      h.guestOps.handlerDone(sender);
      break;
    }
    case Activity.SpinMutex:
      // mutex_spin_on_owner() looks again (its owner was preempted).
      h.guestOps.tryMutex(v);
      break;
    case Activity.SpinLock:
      // PV spinlock: 2^15 spins without the lock; pv_wait() halts until kicked.
      setActivity(h, v, Activity.PvHalted, 0, false);
      v.haltExits++;
      v.halted = true;
      h.kvmOps.kvmVcpuHalt(v);
      break;
  }
}

export function startBurst(h: Host, v: Vcpu): void {
  v.burstLeftNs = v.demand.exponentialNs(h.vms[v.vm]!.work.burst);
  nextSegment(h, v);
}

export function endBurst(h: Host, v: Vcpu): void {
  const work = h.vms[v.vm]!.work;
  if (work.busy >= 1) {
    startBurst(h, v);
    return;
  }
  // Idle so that bursts take `busy` of the time on average.
  halt(h, v, h.now + v.demand.exponentialNs((work.burst * (1 - work.busy)) / work.busy));
}

/** The next stretch of compute, ending in a lock, an IPI round, or the end of the burst. */
export function nextSegment(h: Host, v: Vcpu): void {
  if (!v.drawn) {
    if (v.burstLeftNs <= 0) {
      endBurst(h, v);
      return;
    }
    drawSegment(h, v);
  }
  v.drawn = false;
  v.nextOp = v.drawnNextOp;
  setActivity(h, v, Activity.Compute, v.drawnSegmentNs, v.drawnUserMode);
  pushGuest(h, v);
}

export function halt(h: Host, v: Vcpu, untilNs: number): void {
  setActivity(h, v, Activity.Halted, 0, false);
  v.idleUntilNs = untilNs;
  v.haltExits++;
  v.halted = true;
  v.timerGen++;
  h.queue.push(untilNs, HostEvent.Timer, v.id, v.timerGen);
  h.kvmOps.kvmVcpuHalt(v);
}
