import { markWoken } from '../kvm/vcpu-wake';
import type { FeatureId } from '../kernel-features';
import { EventQueue } from '../core/event-queue';
import { Rng } from '../core/rng';
import * as guest from '../guest/activity';
import { GuestLayer } from '../guest/guest-layer';
import { settleEnded, settleSection } from '../guest/section-ahead';
import { YieldResult, type DirectedYieldPolicy } from '../kvm/directed-yield';
import type { PleConfig } from '../kvm/ple';
import * as haltPoll from '../kvm/halt-poll';
import { KvmLayer } from '../kvm/kvm-layer';
import * as pleExit from '../kvm/ple-exit';
import { Activity, Vcpu } from '../kvm/vcpu';
import type { Scenario } from '../scenario';
import { GroupScheduler } from '../sched/group-scheduler';
import { EnqueueKind, type HostScheduler } from '../sched/host-scheduler';
import * as coreSched from './core-scheduling';
import { Bandwidth, periodTimer, slackTimer } from './bandwidth';
import { HostEvent } from './host-event';
import { kubevirtTree } from './kubevirt';
import { CpuAttachment, FlatLoad, type LoadView } from '../sched/load-tracking';
import * as otherLoad from './other-load';
import { RunQueue } from './runqueue';
import type { GuestOps, Host, HostLoad, KvmOps, LoadOps, SchedOps, VmState } from './ports';
import { LoadLayer } from './load-layer';
import { SchedLayer } from './sched-layer';
import { populate } from './host-population';
import { Thread, ThreadState } from './thread';

/**
 * One KVM host as a discrete-event model: pCPUs with runqueues under a host scheduler policy
 * (per thread, or per VM cgroup), vCPU threads whose guests take spinlocks and mutexes, send IPIs
 * and halt, PLE exits and a kvm_vcpu_on_spin policy. Time is integer ns; every random draw comes
 * from a stream of the run's seed: each vCPU's guest its own (`Vcpu.demand`), the host its own.
 *
 * This class keeps the state, builds it and dispatches events; the mechanisms live with the
 * kernel layer they mirror — the guest (src/sim/guest), KVM (src/sim/kvm) and the host scheduler
 * (core-scheduling, load-balance, bandwidth, other-load here; the classes in src/sim/sched). The
 * layers ask each other through ports (./ports.ts), each implemented by a class of its layer and
 * connected here, the one module that imports them all.
 */
export class HostModel implements Host {
  // The state: ports.ts's HostState says what each field holds.
  readonly rqs: RunQueue[];
  readonly threads: Thread[];
  readonly vcpus: Vcpu[];
  readonly vms: VmState[];
  readonly loads: HostLoad[];
  readonly yieldCount: Float64Array;
  readonly idleNs: Float64Array;
  readonly idleSince: Float64Array;
  readonly sleepSince: Float64Array;
  readonly sleepNs: Float64Array;
  readonly haltSince: Float64Array;
  readonly boosted: (Thread | null)[];
  readonly boostedBy: (Vcpu | null)[];
  readonly queue: EventQueue;
  readonly scratch: Int32Array;
  readonly toWake: Vcpu[] = [];
  readonly tickNs: number;
  readonly postedInterrupts: boolean;
  sectionsAhead = true;
  now = 0;
  /** Events handled so far (the bench's measure of work). */
  events = 0;
  readonly rng: Rng;
  /** The model's class, under the cgroup hierarchy unless host.cgroups is flat. */
  readonly sched: HostScheduler;
  readonly attachment: CpuAttachment;
  readonly load: LoadView;
  readonly balanceFailed: Int32Array;
  /** Per thread id, its VM's bandwidth control (asked on every schedule and charge). */
  private readonly threadBw: (Bandwidth | null)[];

  // Each layer's port, connected once: a layer reaches another only through these.
  readonly schedOps: SchedOps = new SchedLayer(this);
  readonly kvmOps: KvmOps = new KvmLayer(this);
  readonly guestOps: GuestOps = new GuestLayer(this);
  readonly loadOps: LoadOps = new LoadLayer(this);

  constructor(
    readonly scenario: Scenario,
    sched: HostScheduler,
    readonly kvm: DirectedYieldPolicy,
    readonly ple: PleConfig,
    seed: number,
    /** The kernel features the model reproduces that mechanisms consult (ready-boost, queue-head-boost, pv-wait-early). */
    readonly features: ReadonlySet<FeatureId>,
  ) {
    const pcpus = scenario.host.pcpus;
    this.rng = Rng.stream(seed, 'host');
    this.rqs = Array.from({ length: pcpus }, (_, i) => new RunQueue(i));
    this.yieldCount = new Float64Array(pcpus);
    this.idleNs = new Float64Array(pcpus);
    this.idleSince = new Float64Array(pcpus);
    this.boosted = new Array<Thread | null>(pcpus).fill(null);
    this.boostedBy = new Array<Vcpu | null>(pcpus).fill(null);
    this.tickNs = Math.round(1e9 / scenario.host.tickHz);
    this.postedInterrupts = scenario.host.apicv && ple.vendor === 'vmx';
    const { vms, vcpus, threads, loads, weights, pods, maxVcpus } = populate(scenario, ple.base, seed);
    this.vms = vms;
    this.vcpus = vcpus;
    this.threads = threads;
    this.loads = loads;
    const kubevirt = scenario.host.cgroups === 'kubevirt';
    this.sleepSince = new Float64Array(this.threads.length);
    this.sleepNs = new Float64Array(this.threads.length);
    this.haltSince = new Float64Array(this.vcpus.length);
    this.scratch = new Int32Array(maxVcpus);
    const targets: number[] = [];
    targets[HostEvent.Guest] = targets[HostEvent.Ple] = targets[HostEvent.Timer] = this.vcpus.length;
    targets[HostEvent.Tick] = 1;
    targets[HostEvent.HostLoad] = this.loads.length;
    targets[HostEvent.Bandwidth] = targets[HostEvent.BandwidthSlack] = this.vms.length;
    this.queue = new EventQueue(targets);
    this.threadBw = this.threads.map((t) => {
      const vm = this.vmOf(t);
      return vm >= 0 ? this.vms[vm]!.bw : null;
    });
    this.attachment = new CpuAttachment(this.threads, pcpus);
    this.balanceFailed = new Int32Array(pcpus);
    if (scenario.host.cgroups !== 'flat') {
      const groups = new GroupScheduler(
        sched,
        pcpus,
        kubevirt ? kubevirtTree(pods, pcpus) : weights.map((weight) => ({ weight, parent: -1 })),
        this.threads.map((t) => this.vmOf(t)),
        this.attachment,
        () => this.now,
      );
      this.sched = groups;
      this.load = groups;
    } else {
      this.sched = sched;
      this.load = new FlatLoad(this.attachment);
    }
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
  yieldTo(spinner: Vcpu, target: Vcpu): YieldResult {
    spinner.yieldAttempts++;
    const waited = pleExit.waitedOn(this, target);
    const yielded = coreSched.directedYield(this, spinner, target);
    if (yielded === YieldResult.Boosted) {
      spinner.yieldSuccesses++;
      if (!waited) spinner.overboosts++;
    }
    return yielded;
  }

  skipped(spinner: Vcpu, candidate: Vcpu): void {
    if (candidate.thread.state !== ThreadState.Running && pleExit.waitsFor(this, spinner, candidate))
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
      coreSched.wakeThread(this, v.thread, EnqueueKind.New);
    }
    for (const load of this.loads) otherLoad.startLoadBurst(this, load);
    this.queue.push(this.tickNs, HostEvent.Tick, 0, 0);
    for (const vm of this.vms) if (vm.bw) this.queue.push(vm.bw.periodNs, HostEvent.Bandwidth, vm.bw.vm, 0);
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
      switch (q.kind as HostEvent) {
        case HostEvent.Guest: {
          const v = this.vcpus[target]!;
          if (v.sectionEndNs >= 0) settleSection(this, v);
          if (q.gen !== v.guestGen) break;
          if (v.polling) haltPoll.pollExpired(this, v);
          else guest.guestStep(this, v);
          break;
        }
        case HostEvent.Ple: {
          const v = this.vcpus[target]!;
          if (q.gen === v.guestGen && q.time === v.pleDueNs) pleExit.pleExit(this, v);
          break;
        }
        case HostEvent.Timer: {
          const v = this.vcpus[target]!;
          if (q.gen !== v.timerGen || v.activity !== Activity.Halted) break;
          if (v.polling) {
            haltPoll.wakeFromPoll(this, v);
            v.halted = false;
            guest.continueGuest(this, v);
          } else if (v.thread.state === ThreadState.Sleeping) {
            v.halted = false;
            markWoken(this, v); // kvm_vcpu_wake_up(): a vCPU woken from halt is `ready` (the overboost trap)
            coreSched.wakeThread(this, v.thread, EnqueueKind.Wakeup);
          }
          break;
        }
        case HostEvent.Bandwidth:
          periodTimer(this, this.vms[target]!.bw!);
          break;
        case HostEvent.BandwidthSlack:
          slackTimer(this, this.vms[target]!.bw!);
          break;
        case HostEvent.Tick:
          coreSched.tick(this);
          this.queue.push(this.now + this.tickNs, HostEvent.Tick, 0, 0);
          break;
        case HostEvent.HostLoad: {
          const load = this.loads[target]!;
          if (q.gen === load.gen) otherLoad.loadStep(this, load);
          break;
        }
      }
    }
    this.now = untilNs;
    settleEnded(this, untilNs);
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
      coreSched.updateCurr(this, rq);
      if (!rq.curr) this.idleNs[rq.cpu]! += this.now - this.idleSince[rq.cpu]!;
    }
    for (const t of this.threads) {
      if (t.state === ThreadState.Runnable) t.waitNs += this.now - t.runnableSinceNs;
      if (t.state === ThreadState.Sleeping) this.sleepNs[t.id]! += this.now - this.sleepSince[t.id]!;
      if (t.state === ThreadState.Throttled) t.throttledNs += this.now - t.throttledSinceNs;
    }
    for (const { bw } of this.vms)
      if (bw) for (const cpu of bw.order) bw.throttledNs += this.now - bw.throttledSince[cpu]!;
    for (const v of this.vcpus) {
      if (v.thread.state === ThreadState.Running) guest.accountGuest(this, v);
      if (v.polling) v.pollNs += this.now - v.pollStartNs;
      if (v.thread.state === ThreadState.Sleeping) v.haltedNs += this.now - this.haltSince[v.id]!;
    }
  }

  // ---- state the layers read ----

  /** The VM whose cgroup a thread is in (a vCPU's, or QEMU's own thread's), or −1. */
  vmOf(t: Thread): number {
    return t.vcpu >= 0 ? this.vcpus[t.vcpu]!.vm : this.loads[t.id - this.vcpus.length]!.vm;
  }

  /** The bandwidth control a thread is under: its VM's, if the VM has a CPU limit. */
  bandwidthOf(t: Thread): Bandwidth | null {
    return this.threadBw[t.id]!;
  }
}
