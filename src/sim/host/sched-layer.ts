import type { YieldResult } from '../kvm/directed-yield';
import type { Vcpu } from '../kvm/vcpu';
import type { EnqueueKind } from '../sched/host-scheduler';
import * as coreSched from './core-scheduling';
import * as loadBalance from './load-balance';
import type { Host, SchedOps } from './ports';
import type { RunQueue } from './runqueue';
import type { Thread } from './thread';

/** The host scheduler's port: core scheduling and load balance over the host. */
export class SchedLayer implements SchedOps {
  constructor(private readonly h: Host) {}

  updateCurr(rq: RunQueue): void {
    coreSched.updateCurr(this.h, rq);
  }

  schedule(rq: RunQueue): void {
    coreSched.schedule(this.h, rq);
  }

  blockThread(t: Thread): void {
    coreSched.blockThread(this.h, t);
  }

  wakeThread(t: Thread, kind: EnqueueKind, waker?: Thread): void {
    coreSched.wakeThread(this.h, t, kind, waker);
  }

  directedYield(me: Vcpu, target: Vcpu): YieldResult {
    return coreSched.directedYield(this.h, me, target);
  }

  parkThread(rq: RunQueue, t: Thread): void {
    coreSched.parkThread(this.h, rq, t);
  }

  finishDelayed(rq: RunQueue, t: Thread): void {
    coreSched.finishDelayed(this.h, rq, t);
  }

  unparkThread(rq: RunQueue, t: Thread, kind: EnqueueKind): void {
    coreSched.unparkThread(this.h, rq, t, kind);
  }

  selectCpu(t: Thread, waker?: Thread): number {
    return loadBalance.selectCpu(this.h, t, waker);
  }

  pullTo(rq: RunQueue, newlyIdle: boolean): boolean {
    return loadBalance.pullTo(this.h, rq, newlyIdle);
  }

  balance(): void {
    loadBalance.balance(this.h);
  }
}
