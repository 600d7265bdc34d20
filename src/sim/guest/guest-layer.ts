import type { GuestOps, Host } from '../host/ports';
import type { Activity, Vcpu } from '../kvm/vcpu';
import * as activity from './activity';
import * as ipiRound from './ipi-round';
import * as mutex from './mutex';
import * as spinlock from './spinlock';

/** The guest's port: its activity, spinlocks, mutexes and IPI rounds. */
export class GuestLayer implements GuestOps {
  constructor(private readonly h: Host) {}

  accountGuest(v: Vcpu): void {
    activity.accountGuest(this.h, v);
  }

  setActivity(v: Vcpu, a: Activity, remainingNs: number, userMode: boolean): void {
    activity.setActivity(this.h, v, a, remainingNs, userMode);
  }

  pushGuest(v: Vcpu): void {
    activity.pushGuest(this.h, v);
  }

  armSpin(v: Vcpu): void {
    activity.armSpin(this.h, v);
  }

  continueGuest(v: Vcpu): void {
    activity.continueGuest(this.h, v);
  }

  nextSegment(v: Vcpu): void {
    activity.nextSegment(this.h, v);
  }

  pvSpinNs(v: Vcpu): number {
    return spinlock.pvSpinNs(this.h, v);
  }

  startLock(v: Vcpu): void {
    spinlock.startLock(this.h, v);
  }

  tryTakeLock(v: Vcpu): boolean {
    return spinlock.tryTakeLock(this.h, v);
  }

  releaseLock(v: Vcpu): Vcpu | null {
    return spinlock.releaseLock(this.h, v);
  }

  kick(from: Vcpu, to: Vcpu): void {
    spinlock.kick(this.h, from, to);
  }

  startMutex(v: Vcpu): void {
    mutex.startMutex(this.h, v);
  }

  tryMutex(v: Vcpu): void {
    mutex.tryMutex(this.h, v);
  }

  releaseMutex(v: Vcpu): Vcpu | null {
    return mutex.releaseMutex(this.h, v);
  }

  wakeMutexWaiter(v: Vcpu, waker: Vcpu): void {
    mutex.wakeMutexWaiter(this.h, v, waker);
  }

  ownerPreempted(v: Vcpu): void {
    mutex.ownerPreempted(this.h, v);
  }

  handlerNs(v: Vcpu): number {
    return ipiRound.handlerNs(this.h, v);
  }

  startRound(v: Vcpu): void {
    ipiRound.startRound(this.h, v);
  }

  startHandler(v: Vcpu): void {
    ipiRound.startHandler(this.h, v);
  }

  handlerDone(sender: Vcpu): void {
    ipiRound.handlerDone(this.h, sender);
  }

  completeRound(v: Vcpu): void {
    ipiRound.completeRound(this.h, v);
  }
}
