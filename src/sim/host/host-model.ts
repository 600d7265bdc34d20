import { EventQueue } from '../core/event-queue';
import { Rng } from '../core/rng';
import type { DirectedYieldPolicy, SpinHost } from '../kvm/directed-yield';
import { growWindow, shrinkWindow, windowNs, type PleConfig } from '../kvm/ple';
import { Activity, Vcpu } from '../kvm/vcpu';
import type { Scenario, WorkloadSpec } from '../scenario';
import { EnqueueKind, type HostScheduler } from '../sched/host-scheduler';
import { RunQueue } from './runqueue';
import { Thread, ThreadState } from './thread';

const enum Ev {
  /** A vCPU's timed guest activity ended (compute, critical section, handler, PV spin budget). */
  Guest = 0,
  /** A spinning vCPU's PLE window expired. */
  Ple = 1,
  /** A halted vCPU's idle timer fired. */
  Timer = 2,
  /** Scheduler tick on every pCPU. */
  Tick = 3,
  /** Other host load: a burst ended or a sleep ended. */
  HostLoad = 4,
}

/** PV spinlock: SPIN_THRESHOLD = 2^15 PAUSE iterations before pv_wait halts. */
const PV_SPIN_ITERATIONS = 1 << 15;
/** Periodic load balancing between busy pCPUs every this many ticks (idle pCPUs pull every tick). */
const BALANCE_TICKS = 4;

interface VmState {
  name: string;
  vcpus: Vcpu[];
  work: WorkloadSpec;
  lastBoosted: number;
  /** Per lock: the vCPU id holding it (or handed it, for PV), −1 when free. */
  lockHolder: Int32Array;
  /** Per lock: vCPU ids spinning (or PV-halted) for it, in arrival order. */
  lockWaiters: number[][];
  /** Rates per ns of vCPU run time. */
  lockRatePerNs: number;
  ipiRatePerNs: number;
}

interface HostLoad {
  thread: Thread;
  remainingNs: number;
  startedNs: number;
  gen: number;
}

/**
 * One KVM host as a discrete-event model: pCPUs with runqueues under a host scheduler policy,
 * vCPU threads whose guests take spinlocks, send IPIs and halt, PLE exits and a kvm_vcpu_on_spin
 * policy. Time is integer ns; every random draw comes from the caller's seeded generator.
 */
export class HostModel implements SpinHost {
  readonly rqs: RunQueue[];
  readonly threads: Thread[] = [];
  readonly vcpus: Vcpu[] = [];
  readonly vms: VmState[] = [];
  readonly loads: HostLoad[] = [];
  readonly yieldCount: Float64Array;
  readonly idleNs: Float64Array;
  private readonly idleSince: Float64Array;
  private readonly sleepSince: Float64Array;
  readonly sleepNs: Float64Array;
  private readonly haltSince: Float64Array;
  /** Per pCPU: the thread a successful yield_to boosted there, checked at that pCPU's next pick. */
  private readonly boosted: (Thread | null)[];
  private readonly boostedBy: (Vcpu | null)[];
  private readonly queue = new EventQueue(4096);
  private readonly scratch: Int32Array;
  private readonly toWake: Vcpu[] = [];
  readonly tickNs: number;
  readonly postedInterrupts: boolean;
  now = 0;
  events = 0;

  constructor(
    readonly scenario: Scenario,
    readonly sched: HostScheduler,
    readonly kvm: DirectedYieldPolicy,
    readonly ple: PleConfig,
    private readonly rng: Rng,
  ) {
    const pcpus = scenario.host.pcpus;
    this.rqs = Array.from({ length: pcpus }, (_, i) => new RunQueue(i));
    this.yieldCount = new Float64Array(pcpus);
    this.idleNs = new Float64Array(pcpus);
    this.idleSince = new Float64Array(pcpus);
    this.boosted = new Array<Thread | null>(pcpus).fill(null);
    this.boostedBy = new Array<Vcpu | null>(pcpus).fill(null);
    this.tickNs = Math.round(1e9 / scenario.host.tickHz);
    this.postedInterrupts = scenario.host.apicv && ple.vendor === 'vmx';
    const all = Array.from({ length: pcpus }, (_, i) => i);
    let maxVcpus = 1;
    for (const spec of scenario.vms) {
      for (let copy = 0; copy < spec.count; copy++) {
        const vmIndex = this.vms.length;
        const cpus = spec.cpus ?? all;
        const vm: VmState = {
          name: spec.count > 1 ? `${spec.name}-${copy}` : spec.name,
          vcpus: [],
          work: spec.workload,
          lastBoosted: 0,
          lockHolder: new Int32Array(spec.workload.locks.count).fill(-1),
          lockWaiters: Array.from({ length: spec.workload.locks.count }, () => []),
          lockRatePerNs: spec.workload.locks.perSecond / 1e9,
          ipiRatePerNs: spec.workload.ipis.perSecond / 1e9,
        };
        for (let i = 0; i < spec.vcpus; i++) {
          const allowed =
            spec.pinning === 'dedicated' ? [cpus[(copy * spec.vcpus + i) % cpus.length]!] : cpus;
          const thread = new Thread(this.threads.length, this.vcpus.length, allowed);
          this.threads.push(thread);
          const v = new Vcpu(this.vcpus.length, vmIndex, i, spec.vcpus, thread);
          v.pleWindow = ple.base;
          this.vcpus.push(v);
          vm.vcpus.push(v);
        }
        maxVcpus = Math.max(maxVcpus, spec.vcpus);
        this.vms.push(vm);
      }
    }
    for (let i = 0; i < scenario.host.otherLoad.threads; i++) {
      const thread = new Thread(this.threads.length, -1, all);
      thread.cpu = i % pcpus;
      this.threads.push(thread);
      this.loads.push({ thread, remainingNs: 0, startedNs: 0, gen: 0 });
    }
    this.sleepSince = new Float64Array(this.threads.length);
    this.sleepNs = new Float64Array(this.threads.length);
    this.haltSince = new Float64Array(this.vcpus.length);
    this.scratch = new Int32Array(maxVcpus);
  }

  // ---- SpinHost -------------------------------------------------------------------------------

  vcpusOf(vm: number): readonly Vcpu[] {
    return this.vms[vm]!.vcpus;
  }

  lastBoosted(vm: number): number {
    return this.vms[vm]!.lastBoosted;
  }

  setLastBoosted(vm: number, index: number): void {
    this.vms[vm]!.lastBoosted = index;
  }

  /** The PLE path's kvm_vcpu_yield_to(), with the counters that judge candidate choice. */
  yieldTo(spinner: Vcpu, target: Vcpu): number {
    spinner.yieldAttempts++;
    const waited = this.waitedOn(target);
    const yielded = this.directedYield(spinner, target);
    if (yielded > 0) {
      spinner.yieldSuccesses++;
      if (!waited) spinner.overboosts++;
    }
    return yielded;
  }

  skipped(spinner: Vcpu, candidate: Vcpu): void {
    if (candidate.thread.state !== ThreadState.Running && this.waitsFor(spinner, candidate))
      spinner.lostOpportunities++;
  }

  // ---- running ----------------------------------------------------------------------------------

  run(durationNs: number): void {
    this.start();
    this.advanceTo(durationNs);
    this.finish();
  }

  /** Starts every vCPU and the host load at time 0. */
  start(): void {
    for (const v of this.vcpus) {
      v.activity = Activity.Halted;
      v.idleUntilNs = 0;
      this.wakeThread(v.thread, EnqueueKind.New);
    }
    for (const load of this.loads) this.startLoadBurst(load);
    this.queue.push(this.tickNs, Ev.Tick, 0, 0);
  }

  /** Processes every event up to `untilNs`; a later call continues where this one stopped. */
  advanceTo(untilNs: number): void {
    const q = this.queue;
    while (q.length > 0) {
      if (q.peekTime() > untilNs) break;
      q.pop();
      this.now = q.time;
      this.events++;
      const target = q.target;
      switch (q.kind) {
        case Ev.Guest: {
          const v = this.vcpus[target]!;
          if (q.gen === v.guestGen) this.guestStep(v);
          break;
        }
        case Ev.Ple: {
          const v = this.vcpus[target]!;
          if (q.gen === v.guestGen) this.pleExit(v);
          break;
        }
        case Ev.Timer: {
          const v = this.vcpus[target]!;
          if (
            q.gen === v.timerGen &&
            v.activity === Activity.Halted &&
            v.thread.state === ThreadState.Sleeping
          ) {
            v.halted = false;
            v.ready = true; // kvm_vcpu_wake_up(): a vCPU woken from halt is `ready` (the overboost trap)
            this.wakeThread(v.thread, EnqueueKind.Wakeup);
          }
          break;
        }
        case Ev.Tick:
          this.tick();
          this.queue.push(this.now + this.tickNs, Ev.Tick, 0, 0);
          break;
        case Ev.HostLoad: {
          const load = this.loads[target]!;
          if (q.gen === load.gen) this.loadStep(load);
          break;
        }
      }
    }
    this.now = untilNs;
  }

  /** A thread's run time up to now, the running stretch included (what schedstat shows mid-run). */
  runNsNow(t: Thread): number {
    return t.runNs + (t.state === ThreadState.Running ? this.now - t.execStartNs : 0);
  }

  waitNsNow(t: Thread): number {
    return t.waitNs + (t.state === ThreadState.Runnable ? this.now - t.runnableSinceNs : 0);
  }

  /** Close every open interval at the end of the run. */
  finish(): void {
    for (const rq of this.rqs) {
      this.updateCurr(rq);
      if (!rq.curr) this.idleNs[rq.cpu]! += this.now - this.idleSince[rq.cpu]!;
    }
    for (const t of this.threads) {
      if (t.state === ThreadState.Runnable) t.waitNs += this.now - t.runnableSinceNs;
      if (t.state === ThreadState.Sleeping) this.sleepNs[t.id]! += this.now - this.sleepSince[t.id]!;
    }
    for (const v of this.vcpus) {
      if (v.thread.state === ThreadState.Running) this.accountGuest(v);
      if (v.thread.state === ThreadState.Sleeping) v.haltedNs += this.now - this.haltSince[v.id]!;
    }
  }

  private tick(): void {
    const balance = Math.round(this.now / this.tickNs) % BALANCE_TICKS === 0;
    for (const rq of this.rqs) {
      if (rq.curr) {
        this.updateCurr(rq);
        if (this.sched.tick(rq) || rq.needResched) this.schedule(rq);
      } else if (rq.threads.length === 0) this.pullTo(rq);
    }
    if (balance) this.balance();
  }

  // ---- host scheduling (kernel/sched/core.c) ---------------------------------------------------

  /** update_curr(): charge the running thread up to now. */
  private updateCurr(rq: RunQueue): void {
    const c = rq.curr;
    if (!c) return;
    const delta = this.now - c.execStartNs;
    if (delta <= 0) return;
    c.sumExecNs += delta;
    c.runNs += delta;
    rq.busyNs += delta;
    c.execStartNs = this.now;
    if (this.sched.charge(rq, c, delta)) rq.needResched = true;
  }

  /** __schedule() on one pCPU. */
  private schedule(rq: RunQueue): void {
    this.updateCurr(rq);
    rq.needResched = false;
    const prev = rq.curr;
    let next = this.sched.pick(rq);
    if (!next && this.pullTo(rq)) next = this.sched.pick(rq);
    const boosted = this.boosted[rq.cpu];
    if (boosted) {
      if (next === boosted) this.boostedBy[rq.cpu]!.boostsHonoured++;
      this.boosted[rq.cpu] = null;
      this.boostedBy[rq.cpu] = null;
    }
    if (next) this.sched.picked(rq, next);
    if (prev === next) return;
    if (prev) this.switchOut(prev);
    rq.curr = next;
    if (next) {
      if (!prev) this.idleNs[rq.cpu]! += this.now - this.idleSince[rq.cpu]!;
      this.switchIn(rq, next);
    } else if (prev) this.idleSince[rq.cpu] = this.now;
  }

  /** A runnable thread loses its pCPU (preemption or yield); KVM's sched_out notifier runs. */
  private switchOut(t: Thread): void {
    t.state = ThreadState.Runnable;
    t.runnableSinceNs = this.now;
    t.involuntarySwitches++;
    if (t.vcpu >= 0) {
      const v = this.vcpus[t.vcpu]!;
      this.accountGuest(v);
      v.guestGen++;
      // kvm_sched_out(): preempted while runnable → preempted and ready; CPL captured.
      v.preempted = true;
      v.ready = true;
      v.preemptedInKernel = v.activity !== Activity.Compute || !v.userMode;
      v.scheduledOut = true;
    } else this.pauseLoad(t);
  }

  /** A thread gets a pCPU; for a vCPU, KVM's sched_in notifier runs and the guest resumes. */
  private switchIn(rq: RunQueue, t: Thread): void {
    if (t.state === ThreadState.Running) throw new Error(`thread ${t.id} would run on two pCPUs`);
    t.state = ThreadState.Running;
    t.cpu = rq.cpu;
    t.waitNs += this.now - t.runnableSinceNs;
    t.timeslices++;
    t.execStartNs = this.now;
    if (t.vcpu < 0) {
      this.resumeLoad(t);
      return;
    }
    const v = this.vcpus[t.vcpu]!;
    // kvm_sched_in(): preempted/ready clear; kvm_arch_sched_in() shrinks (resets) the PLE window.
    v.preempted = false;
    v.ready = false;
    v.pvUnhalted = false;
    v.scheduledOut = false;
    v.ipiReceived.fill(0);
    const window = shrinkWindow(v.pleWindow, this.ple);
    if (window !== v.pleWindow) v.pleWindowUpdates++;
    v.pleWindow = window;
    v.activityStartNs = this.now;
    v.guestGen++;
    this.continueGuest(v);
  }

  /** A running thread blocks (HLT, PV wait, host load sleep). */
  private blockThread(t: Thread): void {
    const rq = this.rqs[t.cpu]!;
    this.updateCurr(rq);
    this.sched.unplace(rq, t, false);
    rq.remove(t);
    t.state = ThreadState.Sleeping;
    t.voluntarySwitches++;
    this.sleepSince[t.id] = this.now;
    if (t.vcpu >= 0) {
      const v = this.vcpus[t.vcpu]!;
      v.scheduledOut = true;
      v.guestGen++;
      this.haltSince[v.id] = this.now;
    }
    rq.curr = null;
    this.idleSince[rq.cpu] = this.now;
    this.schedule(rq);
  }

  /** try_to_wake_up(): select a pCPU, enqueue, maybe preempt its current thread. */
  private wakeThread(t: Thread, kind: EnqueueKind): void {
    if (t.state !== ThreadState.Sleeping) return;
    const from = this.rqs[t.cpu]!;
    if (kind !== EnqueueKind.New) this.sleepNs[t.id]! += this.now - this.sleepSince[t.id]!;
    if (t.vcpu >= 0 && kind !== EnqueueKind.New)
      this.vcpus[t.vcpu]!.haltedNs += this.now - this.haltSince[t.vcpu]!;
    const rq = this.rqs[this.selectCpu(t)]!;
    t.cpu = rq.cpu;
    rq.add(t);
    this.sched.place(rq, t, kind, from);
    t.state = ThreadState.Runnable;
    t.runnableSinceNs = this.now;
    if (!rq.curr) {
      this.schedule(rq);
      return;
    }
    this.updateCurr(rq);
    if (this.sched.wakeupPreempts(rq, t) || rq.needResched) this.schedule(rq);
  }

  /** select_task_rq_fair(), simplified: previous pCPU if idle, else an idle allowed one, else the previous. */
  private selectCpu(t: Thread): number {
    const allowed = t.allowed;
    if (allowed.length === 1) return allowed[0]!;
    const prev = this.rqs[t.cpu]!;
    if (prev.threads.length === 0 && allowed.includes(t.cpu)) return t.cpu;
    const start = Math.max(0, allowed.indexOf(t.cpu));
    for (let i = 0; i < allowed.length; i++) {
      const cpu = allowed[(start + i) % allowed.length]!;
      if (this.rqs[cpu]!.threads.length === 0) return cpu;
    }
    return allowed.includes(t.cpu) ? t.cpu : allowed[0]!;
  }

  /** Idle balance: pull one waiting thread that may run here from the busiest runqueue. */
  private pullTo(rq: RunQueue): boolean {
    let source: RunQueue | null = null;
    let victim: Thread | null = null;
    for (const other of this.rqs) {
      if (other === rq || other.waiting() === 0 || (source && other.waiting() <= source.waiting())) continue;
      for (const t of other.threads)
        if (t !== other.curr && t.allowed.includes(rq.cpu)) {
          source = other;
          victim = t;
          break;
        }
    }
    if (!source || !victim) return false;
    this.migrate(victim, source, rq);
    return true;
  }

  /** Periodic balance: even out runqueues that differ by two or more runnable threads. */
  private balance(): void {
    for (const rq of this.rqs) {
      let busiest: RunQueue | null = null;
      for (const other of this.rqs)
        if (other.waiting() > 0 && (!busiest || other.threads.length > busiest.threads.length))
          busiest = other;
      if (!busiest || busiest.threads.length < rq.threads.length + 2) continue;
      for (const t of busiest.threads)
        if (t !== busiest.curr && t.allowed.includes(rq.cpu)) {
          this.migrate(t, busiest, rq);
          if (!rq.curr) this.schedule(rq);
          break;
        }
    }
  }

  private migrate(t: Thread, from: RunQueue, to: RunQueue): void {
    this.updateCurr(from);
    this.sched.unplace(from, t, true);
    from.remove(t);
    t.cpu = to.cpu;
    to.add(t);
    this.sched.place(to, t, EnqueueKind.Migrate, from);
  }

  /**
   * yield_to(target, preempt=true) (kernel/sched/core.c): −ESRCH when both runqueues hold a single
   * task, 0 when the target runs already or sleeps, else the class sets the next buddy and the
   * yielder reschedules (and the target's pCPU too, if it is another).
   */
  private directedYield(me: Vcpu, target: Vcpu): number {
    const s = me.thread;
    const t = target.thread;
    const rq = this.rqs[s.cpu]!;
    const prq = this.rqs[t.cpu]!;
    if (rq.threads.length === 1 && prq.threads.length === 1) return -1;
    if (t.state !== ThreadState.Runnable) return 0;
    this.updateCurr(rq);
    if (prq !== rq) this.updateCurr(prq);
    if (!this.sched.yieldToTask(rq, s, prq, t)) return 0;
    this.yieldCount[rq.cpu]!++;
    this.boosted[prq.cpu] = t;
    this.boostedBy[prq.cpu] = me;
    if (prq !== rq) this.schedule(prq);
    if (s.state === ThreadState.Running) this.schedule(rq);
    return 1;
  }

  // ---- PLE and directed yield -------------------------------------------------------------------

  /** handle_pause(): grow the window, then kvm_vcpu_on_spin(); back in the guest the loop restarts. */
  private pleExit(v: Vcpu): void {
    this.accountGuest(v);
    v.pleExits++;
    const grown = growWindow(v.pleWindow, this.ple);
    if (grown !== v.pleWindow) v.pleWindowUpdates++;
    v.pleWindow = grown;
    const gen = v.guestGen;
    v.inExit = true;
    // PLE fires only at CPL 0, so VMX asks for a kernel-mode candidate; our spin loops are in the kernel on SVM too.
    this.kvm.onSpin(this, v, true);
    v.inExit = false;
    if (v.guestGen !== gen || v.thread.state !== ThreadState.Running) return;
    if (v.activity === Activity.SpinLock && this.tryTakeLock(v)) return;
    if (v.activity === Activity.SpinIpi && v.roundPending === 0) {
      this.completeRound(v);
      return;
    }
    this.queue.push(
      this.now + this.ple.exitCostNs + windowNs(v.pleWindow, this.ple),
      Ev.Ple,
      v.id,
      v.guestGen,
    );
  }

  /** Whether some vCPU waits for `v`: it holds (or was handed) a lock others spin for, or owes IPI handlers. */
  private waitedOn(v: Vcpu): boolean {
    if (v.handlerQueue.length > 0) return true;
    if (v.lock < 0) return false;
    const vm = this.vms[v.vm]!;
    return vm.lockHolder[v.lock] === v.id && vm.lockWaiters[v.lock]!.length > 0;
  }

  /** Whether `spinner` waits for `other`: the holder of its lock, or a receiver of its IPI round. */
  private waitsFor(spinner: Vcpu, other: Vcpu): boolean {
    if (spinner.activity === Activity.SpinLock)
      return this.vms[spinner.vm]!.lockHolder[spinner.lock] === other.id;
    if (spinner.activity === Activity.SpinIpi) return other.handlerQueue.includes(spinner.id);
    return false;
  }

  // ---- the guest ----------------------------------------------------------------------------------

  /** Close the guest-time interval of a running vCPU's current activity. */
  private accountGuest(v: Vcpu): void {
    const elapsed = this.now - v.activityStartNs;
    v.activityStartNs = this.now;
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
        v.spinNs += elapsed;
        v.remainingNs -= elapsed;
        break;
    }
  }

  private setActivity(v: Vcpu, activity: Activity, remainingNs: number, userMode: boolean): void {
    this.accountGuest(v);
    v.activity = activity;
    v.remainingNs = remainingNs;
    v.userMode = userMode;
    v.guestGen++;
  }

  private pushGuest(v: Vcpu): void {
    this.queue.push(this.now + Math.max(0, v.remainingNs), Ev.Guest, v.id, v.guestGen);
  }

  private armSpin(v: Vcpu): void {
    if (this.ple.enabled)
      this.queue.push(this.now + windowNs(v.pleWindow, this.ple), Ev.Ple, v.id, v.guestGen);
    if (v.activity === Activity.SpinLock && this.vms[v.vm]!.work.pvSpinlocks) this.pushGuest(v);
  }

  /** Entering the guest (sched-in, handler return): carry on with what the vCPU was doing. */
  private continueGuest(v: Vcpu): void {
    if (v.handlerQueue.length > 0 && v.activity !== Activity.Handler) {
      this.startHandler(v);
      return;
    }
    switch (v.activity) {
      case Activity.Compute:
      case Activity.CriticalSection:
      case Activity.Handler:
        this.pushGuest(v);
        break;
      case Activity.SpinLock:
        if (!this.tryTakeLock(v)) this.armSpin(v);
        break;
      case Activity.SpinIpi:
        if (v.roundPending === 0) this.completeRound(v);
        else this.armSpin(v);
        break;
      case Activity.Halted:
        if (this.now < v.idleUntilNs) this.halt(v, v.idleUntilNs);
        else this.startBurst(v);
        break;
      case Activity.PvHalted:
        // Kicked (or interrupted): pv_wait returns and the waiter spins again.
        this.setActivity(v, Activity.SpinLock, this.pvSpinNs(), false);
        this.continueGuest(v);
        break;
    }
  }

  private pvSpinNs(): number {
    return Math.round((PV_SPIN_ITERATIONS * this.scenario.host.cpu.pauseCycles) / this.scenario.host.cpu.ghz);
  }

  /** A timed guest activity ended. */
  private guestStep(v: Vcpu): void {
    this.accountGuest(v);
    switch (v.activity) {
      case Activity.Compute: {
        const op = v.nextOp;
        if (op === 1) this.startLock(v);
        else if (op === 2) this.startRound(v);
        else this.endBurst(v);
        break;
      }
      case Activity.CriticalSection: {
        const kick = this.releaseLock(v);
        this.nextSegment(v);
        if (kick) this.kick(v, kick);
        break;
      }
      case Activity.Handler: {
        const sender = this.vcpus[v.handlerQueue.shift()!]!;
        if (v.handlerQueue.length > 0) {
          this.setActivity(v, Activity.Handler, this.handlerNs(v), false);
          this.pushGuest(v);
        } else {
          this.setActivity(v, v.savedActivity, v.savedRemainingNs, v.savedUserMode);
          this.continueGuest(v);
        }
        this.handlerDone(sender);
        break;
      }
      case Activity.SpinLock:
        // PV spinlock: 2^15 spins without the lock; pv_wait() halts until kicked.
        this.setActivity(v, Activity.PvHalted, 0, false);
        v.haltExits++;
        v.halted = true;
        this.blockThread(v.thread);
        break;
    }
  }

  private handlerNs(v: Vcpu): number {
    return this.vms[v.vm]!.work.ipis.handler;
  }

  private startBurst(v: Vcpu): void {
    v.burstLeftNs = this.rng.exponentialNs(this.vms[v.vm]!.work.burst);
    this.nextSegment(v);
  }

  private endBurst(v: Vcpu): void {
    const work = this.vms[v.vm]!.work;
    if (work.busy >= 1) {
      this.startBurst(v);
      return;
    }
    // Idle so that bursts take `busy` of the time on average.
    this.halt(v, this.now + this.rng.exponentialNs((work.burst * (1 - work.busy)) / work.busy));
  }

  /** The next stretch of compute, ending in a lock, an IPI round, or the end of the burst. */
  private nextSegment(v: Vcpu): void {
    if (v.burstLeftNs <= 0) {
      this.endBurst(v);
      return;
    }
    const vm = this.vms[v.vm]!;
    const rate = vm.lockRatePerNs + vm.ipiRatePerNs;
    const gap = rate > 0 ? this.rng.exponentialNs(1 / rate) : Infinity;
    let segment = v.burstLeftNs;
    v.nextOp = 0;
    if (gap < segment) {
      segment = gap;
      v.nextOp = this.rng.uniform() * rate < vm.lockRatePerNs ? 1 : 2;
    }
    this.setActivity(v, Activity.Compute, segment, this.rng.uniform() < vm.work.userShare);
    this.pushGuest(v);
  }

  private halt(v: Vcpu, untilNs: number): void {
    this.setActivity(v, Activity.Halted, 0, false);
    v.idleUntilNs = untilNs;
    v.haltExits++;
    v.halted = true;
    v.timerGen++;
    this.queue.push(untilNs, Ev.Timer, v.id, v.timerGen);
    this.blockThread(v.thread);
  }

  private startLock(v: Vcpu): void {
    const vm = this.vms[v.vm]!;
    v.lock = this.rng.int(vm.lockHolder.length);
    if (vm.lockHolder[v.lock] === -1) {
      this.acquire(v);
      return;
    }
    vm.lockWaiters[v.lock]!.push(v.id);
    this.setActivity(v, Activity.SpinLock, vm.work.pvSpinlocks ? this.pvSpinNs() : 0, false);
    this.armSpin(v);
  }

  private acquire(v: Vcpu): void {
    const vm = this.vms[v.vm]!;
    vm.lockHolder[v.lock] = v.id;
    this.setActivity(v, Activity.CriticalSection, this.rng.exponentialNs(vm.work.locks.hold), false);
    this.pushGuest(v);
  }

  /** A spinner in the guest checks its lock: free (test-and-set) or handed to it (PV queue). */
  private tryTakeLock(v: Vcpu): boolean {
    const vm = this.vms[v.vm]!;
    const holder = vm.lockHolder[v.lock]!;
    if (holder !== -1 && holder !== v.id) return false;
    const waiters = vm.lockWaiters[v.lock]!;
    const at = waiters.indexOf(v.id);
    if (at >= 0) waiters.splice(at, 1);
    this.acquire(v);
    return true;
  }

  /**
   * Unlock. Without PV spinlocks the guest's qspinlock falls back to test-and-set under a
   * hypervisor (virt_spin_lock), so a waiter that is spinning right now takes it; with PV the queue
   * head is handed the lock and, if it halted in pv_wait, must be kicked (returned to the caller).
   */
  private releaseLock(v: Vcpu): Vcpu | null {
    const vm = this.vms[v.vm]!;
    const lock = v.lock;
    v.lock = -1;
    v.criticalSections++;
    vm.lockHolder[lock] = -1;
    const waiters = vm.lockWaiters[lock]!;
    if (waiters.length === 0) return null;
    if (vm.work.pvSpinlocks) {
      const head = this.vcpus[waiters[0]!]!;
      vm.lockHolder[lock] = head.id;
      if (this.spinningInGuest(head)) this.tryTakeLock(head);
      return head.activity === Activity.PvHalted && head.thread.state === ThreadState.Sleeping ? head : null;
    }
    let running = 0;
    for (const id of waiters) if (this.spinningInGuest(this.vcpus[id]!)) this.scratch[running++] = id;
    if (running > 0) this.tryTakeLock(this.vcpus[this.scratch[this.rng.int(running)]!]!);
    return null;
  }

  private spinningInGuest(v: Vcpu): boolean {
    return v.activity === Activity.SpinLock && v.thread.state === ThreadState.Running && !v.inExit;
  }

  /** KVM_HC_KICK_CPU: wake the halted waiter, then kvm_sched_yield() to it (counted as PV directed yield). */
  private kick(from: Vcpu, to: Vcpu): void {
    to.pvUnhalted = true;
    to.halted = false;
    to.ready = true;
    this.wakeThread(to.thread, EnqueueKind.Wakeup);
    if (from.thread.state !== ThreadState.Running || !to.ready) return;
    from.pvYieldAttempted++;
    if (this.directedYield(from, to) > 0) from.pvYieldSuccessful++;
  }

  /** smp_call_function_many() with wait: IPIs to `targets` other vCPUs, then spin in csd_lock_wait. */
  private startRound(v: Vcpu): void {
    const vm = this.vms[v.vm]!;
    const others = vm.vcpus.length - 1;
    const k = Math.min(vm.work.ipis.targets, others);
    if (k === 0) {
      this.nextSegment(v);
      return;
    }
    // Partial Fisher–Yates over the other vCPUs' indices.
    const pick = this.scratch;
    for (let i = 0, j = 0; i < vm.vcpus.length; i++) if (i !== v.index) pick[j++] = i;
    this.setActivity(v, Activity.SpinIpi, 0, false);
    v.roundPending = k;
    const wake = this.toWake;
    for (let i = 0; i < k; i++) {
      const j = i + this.rng.int(others - i);
      const r = vm.vcpus[pick[j]!]!;
      pick[j] = pick[i]!;
      v.ipisSent[r.index]!++;
      this.kvm.onIpi(v, r);
      r.handlerQueue.push(v.id);
      if (this.deliver(r)) wake.push(r);
    }
    this.armSpin(v);
    // Wake receivers last: a wakeup may preempt the sender, which is now fully in its spin state.
    while (wake.length > 0) this.wakeThread(wake.pop()!.thread, EnqueueKind.Wakeup);
  }

  /** Deliver an IPI; true when the receiver is halted and must be woken. */
  private deliver(r: Vcpu): boolean {
    if (r.thread.state === ThreadState.Running) {
      if (r.activity !== Activity.Handler && !r.inExit) this.startHandler(r);
      return false;
    }
    r.pendingInterrupt = true;
    if (
      r.thread.state === ThreadState.Sleeping &&
      (r.activity === Activity.Halted || r.activity === Activity.PvHalted)
    ) {
      r.halted = false;
      r.ready = true; // kvm_vcpu_kick → kvm_vcpu_wake_up
      return true;
    }
    return false;
  }

  private startHandler(v: Vcpu): void {
    this.accountGuest(v);
    v.savedActivity = v.activity;
    v.savedRemainingNs = v.remainingNs;
    v.savedUserMode = v.userMode;
    v.pendingInterrupt = false;
    this.setActivity(v, Activity.Handler, this.handlerNs(v), false);
    this.pushGuest(v);
  }

  private handlerDone(sender: Vcpu): void {
    sender.roundPending--;
    if (
      sender.roundPending === 0 &&
      sender.activity === Activity.SpinIpi &&
      sender.thread.state === ThreadState.Running &&
      !sender.inExit
    )
      this.completeRound(sender);
  }

  private completeRound(v: Vcpu): void {
    v.ipiRounds++;
    this.nextSegment(v);
  }

  // ---- other host load ------------------------------------------------------------------------------

  private startLoadBurst(load: HostLoad): void {
    load.remainingNs = this.rng.exponentialNs(this.scenario.host.otherLoad.burst);
    this.wakeThread(load.thread, EnqueueKind.New);
  }

  private loadFor(t: Thread): HostLoad {
    return this.loads[t.id - this.vcpus.length]!;
  }

  private pauseLoad(t: Thread): void {
    const load = this.loadFor(t);
    load.remainingNs -= this.now - load.startedNs;
    load.gen++;
  }

  private resumeLoad(t: Thread): void {
    const load = this.loadFor(t);
    load.gen++;
    load.startedNs = this.now;
    this.queue.push(
      this.now + Math.max(0, load.remainingNs),
      Ev.HostLoad,
      t.id - this.vcpus.length,
      load.gen,
    );
  }

  private loadStep(load: HostLoad): void {
    const t = load.thread;
    load.gen++;
    if (t.state === ThreadState.Running) {
      const spec = this.scenario.host.otherLoad;
      this.blockThread(t);
      this.queue.push(
        this.now + this.rng.exponentialNs((spec.burst * (1 - spec.busy)) / spec.busy),
        Ev.HostLoad,
        t.id - this.vcpus.length,
        load.gen,
      );
    } else if (t.state === ThreadState.Sleeping) {
      load.remainingNs = this.rng.exponentialNs(this.scenario.host.otherLoad.burst);
      this.wakeThread(t, EnqueueKind.Wakeup);
    }
  }
}
