import type { EventQueue } from '../core/event-queue';
import type { Rng } from '../core/rng';
import type { FeatureId } from '../kernel-features';
import type { DirectedYieldPolicy, SpinHost, YieldResult } from '../kvm/directed-yield';
import type { PleConfig } from '../kvm/ple';
import type { Activity, Vcpu } from '../kvm/vcpu';
import type { Scenario, WorkloadSpec } from '../scenario';
import type { EnqueueKind, HostScheduler } from '../sched/host-scheduler';
import type { CpuAttachment, LoadView } from '../sched/load-tracking';
import type { Bandwidth } from './bandwidth';
import type { RunQueue } from './runqueue';
import type { Thread } from './thread';

/**
 * The simulator's layers — the guest (src/sim/guest), KVM (src/sim/kvm) and the host scheduler
 * (src/sim/host, with the scheduling classes of src/sim/sched) — meet here and nowhere else: each
 * layer's functions take a `Host`, the host's state as plain data plus the operations of the
 * other layers (the ports below), and import only the core, the state, these ports and their own
 * folder (eslint's no-restricted-imports, per folder). Each port is implemented by a class in its
 * layer's folder, constructed over the host; HostModel holds the state and connects the four once.
 */

export interface VmState {
  name: string;
  vcpus: Vcpu[];
  work: WorkloadSpec;
  lastBoosted: number;
  /** Per lock: the vCPU id holding it (or handed it, for PV), −1 when free. */
  lockHolder: Int32Array;
  /** Per lock: vCPU ids spinning (or PV-halted) for it, in arrival order. */
  lockWaiters: number[][];
  /** Per mutex: the vCPU id owning it, −1 when free; and the vCPUs waiting (spinning or asleep). */
  mutexOwner: Int32Array;
  mutexWaiters: number[][];
  /** Rates per ns of vCPU run time. */
  mutexRatePerNs: number;
  lockRatePerNs: number;
  ipiRatePerNs: number;
  /** CFS bandwidth control of the VM's cgroup (cpu.max), or null without a limit. */
  bw: Bandwidth | null;
}

/** A thread that is not a vCPU: other host load, or one of QEMU's own threads in its VM's cgroup. */
export interface HostLoad {
  thread: Thread;
  /** The VM whose cgroup (and CPU limit) it is in, or −1 for host load at the root. */
  vm: number;
  busy: number;
  burstNs: number;
  remainingNs: number;
  startedNs: number;
  gen: number;
  /** The load's bursts and sleeps, drawn apart from everything else (like a vCPU's `demand`). */
  demand: Rng;
}

/** The host's state: what every layer reads and writes, and the clock and event queue. */
export interface HostState {
  readonly scenario: Scenario;
  readonly kvm: DirectedYieldPolicy;
  readonly ple: PleConfig;
  /** The kernel features the model reproduces that mechanisms consult. */
  readonly features: ReadonlySet<FeatureId>;
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
  /** Per pCPU: the thread a successful yield_to boosted there, checked at that pCPU's next pick. */
  readonly boosted: (Thread | null)[];
  readonly boostedBy: (Vcpu | null)[];
  readonly queue: EventQueue;
  readonly scratch: Int32Array;
  readonly toWake: Vcpu[];
  readonly tickNs: number;
  readonly postedInterrupts: boolean;
  /**
   * Whether uncontended critical sections run ahead, without an end event of their own
   * (guest/section-ahead.ts); off, every section has its event — the run they must equal.
   */
  sectionsAhead: boolean;
  now: number;
  /** The host's own draws; the guests draw from their vCPU's `demand`. */
  readonly rng: Rng;
  readonly sched: HostScheduler;
  /** Where each thread's PELT signals are attached, and the cfs_rq loads the balancer reads. */
  readonly attachment: CpuAttachment;
  readonly load: LoadView;
  /** Per pCPU, sd->nr_balance_failed of its periodic balance. */
  readonly balanceFailed: Int32Array;
  /** The VM whose cgroup a thread is in (a vCPU's, or QEMU's own thread's), or −1. */
  vmOf(t: Thread): number;
  /** The bandwidth control a thread is under: its VM's, if the VM has a CPU limit. */
  bandwidthOf(t: Thread): Bandwidth | null;
}

/** The host scheduler (src/sim/host: core scheduling, load balance, bandwidth). */
export interface SchedOps {
  updateCurr(rq: RunQueue): void;
  schedule(rq: RunQueue): void;
  blockThread(t: Thread): void;
  wakeThread(t: Thread, kind: EnqueueKind, waker?: Thread): void;
  directedYield(me: Vcpu, target: Vcpu): YieldResult;
  parkThread(rq: RunQueue, t: Thread): void;
  finishDelayed(rq: RunQueue, t: Thread): void;
  unparkThread(rq: RunQueue, t: Thread, kind: EnqueueKind): void;
  selectCpu(t: Thread, waker?: Thread): number;
  pullTo(rq: RunQueue, newlyIdle: boolean): boolean;
  balance(): void;
}

/** KVM (src/sim/kvm): halt polling, PLE exits, preempt notifiers, wakeups, PV yield. */
export interface KvmOps {
  kvmVcpuHalt(v: Vcpu): void;
  wakeFromPoll(v: Vcpu): void;
  pollInterrupted(rq: RunQueue): boolean;
  haltEnded(v: Vcpu): void;
  kvmSchedYield(from: Vcpu, to: Vcpu): void;
  /** kvm_sched_out() / kvm_sched_in(): the preempt notifiers of a vCPU thread. */
  kvmSchedOut(v: Vcpu, runnable: boolean): void;
  kvmSchedIn(v: Vcpu): void;
  /** kvm_vcpu_wake_up(): the woken vCPU is marked `ready` where the kernel does so. */
  markWoken(v: Vcpu): void;
  armPauseLoop(v: Vcpu): void;
  tickExit(v: Vcpu): void;
}

/** The guest (src/sim/guest): its activity, spinlocks, mutexes and IPI rounds. */
export interface GuestOps {
  accountGuest(v: Vcpu): void;
  setActivity(v: Vcpu, activity: Activity, remainingNs: number, userMode: boolean): void;
  pushGuest(v: Vcpu): void;
  armSpin(v: Vcpu): void;
  continueGuest(v: Vcpu): void;
  nextSegment(v: Vcpu): void;
  pvSpinNs(v: Vcpu): number;
  startLock(v: Vcpu): void;
  tryTakeLock(v: Vcpu): boolean;
  releaseLock(v: Vcpu): Vcpu | null;
  kick(from: Vcpu, to: Vcpu): void;
  startMutex(v: Vcpu): void;
  tryMutex(v: Vcpu): void;
  releaseMutex(v: Vcpu): Vcpu | null;
  wakeMutexWaiter(v: Vcpu, waker: Vcpu): void;
  ownerPreempted(v: Vcpu): void;
  handlerNs(v: Vcpu): number;
  startRound(v: Vcpu): void;
  startHandler(v: Vcpu): void;
  handlerDone(sender: Vcpu): void;
  completeRound(v: Vcpu): void;
}

/** Threads that are not vCPUs (src/sim/host/other-load). */
export interface LoadOps {
  pauseLoad(t: Thread): void;
  resumeLoad(t: Thread): void;
}

/** Each layer's port, implemented by that layer's class (SchedLayer, KvmLayer, GuestLayer, LoadLayer). */
export interface Ports {
  readonly schedOps: SchedOps;
  readonly kvmOps: KvmOps;
  readonly guestOps: GuestOps;
  readonly loadOps: LoadOps;
}

/** What a layer's function is given: the state and every layer's port (and kvm_vcpu_on_spin()'s view). */
export type Host = HostState & Ports & SpinHost;
