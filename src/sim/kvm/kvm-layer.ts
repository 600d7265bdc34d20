import type { Host, KvmOps } from '../host/ports';
import type { RunQueue } from '../host/runqueue';
import * as haltPoll from './halt-poll';
import * as pleExit from './ple-exit';
import { kvmSchedIn, kvmSchedOut } from './preempt-notifiers';
import { kvmSchedYield } from './sched-yield';
import { markWoken } from './vcpu-wake';
import type { Vcpu } from './vcpu';

/** KVM's port: halt polling, PLE exits, the preempt notifiers, wakeups and PV yield. */
export class KvmLayer implements KvmOps {
  constructor(private readonly h: Host) {}

  kvmVcpuHalt(v: Vcpu): void {
    haltPoll.kvmVcpuHalt(this.h, v);
  }

  wakeFromPoll(v: Vcpu): void {
    haltPoll.wakeFromPoll(this.h, v);
  }

  pollInterrupted(rq: RunQueue): boolean {
    return haltPoll.pollInterrupted(this.h, rq);
  }

  haltEnded(v: Vcpu): void {
    haltPoll.haltEnded(this.h, v);
  }

  kvmSchedYield(from: Vcpu, to: Vcpu): void {
    kvmSchedYield(this.h, from, to);
  }

  kvmSchedOut(v: Vcpu, runnable: boolean): void {
    kvmSchedOut(this.h, v, runnable);
  }

  kvmSchedIn(v: Vcpu): void {
    kvmSchedIn(this.h, v);
  }

  markWoken(v: Vcpu): void {
    markWoken(this.h, v);
  }

  armPauseLoop(v: Vcpu): void {
    pleExit.armPauseLoop(this.h, v);
  }

  tickExit(v: Vcpu): void {
    pleExit.tickExit(this.h, v);
  }
}
