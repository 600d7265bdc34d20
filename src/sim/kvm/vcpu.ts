import type { Rng } from '../core/rng';
import type { Thread } from '../host/thread';

/** What the guest is doing on a vCPU. */
export const enum Activity {
  /** Ordinary work, user or kernel mode. */
  Compute = 0,
  /** Holding a spinlock. */
  CriticalSection = 1,
  /** Running an IPI handler (smp_call_function / TLB shootdown). */
  Handler = 2,
  /** Spinning for a lock (PAUSE loop, kernel mode). */
  SpinLock = 3,
  /** Spinning in csd_lock_wait until every receiver ran the handler (kernel mode). */
  SpinIpi = 4,
  /** In HLT: the vCPU thread sleeps until an interrupt or timer. */
  Halted = 5,
  /** PV spinlock: halted after spinning 2^15 times, until the unlocker kicks it. */
  PvHalted = 6,
  /** Optimistic spinning on a mutex whose owner is on a CPU (kernel mode). */
  SpinMutex = 7,
  /** Asleep on a mutex: the vCPU has nothing else to run and halts until the unlock wakes it. */
  MutexWait = 8,
}

/** What a guest compute segment ends in. */
export const enum NextOp {
  /** The end of the burst: the vCPU idles (HLT) or starts another. */
  EndBurst = 0,
  /** A spinlock acquisition. */
  Lock = 1,
  /** An IPI round (smp_call_function_many with wait). */
  IpiRound = 2,
  /** A sleeping lock (mutex, rwsem) with optimistic spinning. */
  Mutex = 3,
}

/** A vCPU: KVM's view (struct kvm_vcpu flags), the guest's state, and what it did. */
export class Vcpu {
  // struct kvm_vcpu (virt/kvm/kvm_main.c)
  /** Preempted while runnable, or woken from halt; cleared on sched-in. */
  ready = false;
  /** Preempted while runnable; cleared on sched-in. */
  preempted = false;
  /** Guest CPL was 0 when preempted (kvm_arch_vcpu_in_kernel). */
  preemptedInKernel = false;
  /** spin_loop.in_spin_loop: inside kvm_vcpu_on_spin (also while descheduled by its yield_to). */
  inSpinLoop = false;
  dyEligible = false;
  /** Halt polling: this vCPU's halt_poll_ns, whether it polls now, since when, and its halt's start. */
  haltPollNs = 0;
  polling = false;
  pollStartNs = 0;
  haltStartNs = -1;
  /** Descheduled by yield_to() inside kvm_vcpu_on_spin: its spin loop ends when it runs again. */
  descheduledInSpinLoop = false;
  /** Blocked in kvm_vcpu_block (rcuwait_active). */
  halted = false;
  /** PV kick received (arch.pv.pv_unhalted). */
  pvUnhalted = false;
  /** A posted interrupt waits to be delivered (APICv / kvm_arch_dy_has_pending_interrupt). */
  pendingInterrupt = false;
  /** The paper's strict boost: set on every sched-out, cleared on sched-in. */
  scheduledOut = true;
  /** The paper's strict boost: bit i = vCPU i of the VM sent an IPI while this one was scheduled out. */
  readonly ipiReceived: Uint8Array;
  /** Whether some bit of ipiReceived may be set: sched-in clears them only then (it runs per context switch). */
  private ipiMarked = false;
  /**
   * The semantics-aware series' per-vCPU ipi_context (v1 "[PATCH 07/10]"): the receiver of this
   * vCPU's last unicast IPI (−1: none), whether its response is pending, and when it was sent.
   */
  lastIpiReceiver = -1;
  ipiPending = false;
  ipiSentNs = 0;
  /** The sender of the last unicast IPI this vCPU received (−1: none). */
  lastIpiSender = -1;
  pleWindow = 0;
  /** When the armed PLE window expires (an earlier arming's event is stale). */
  pleDueNs = -1;
  /** Inside kvm_vcpu_on_spin: out of the guest, cannot take a lock in this instant. */
  inExit = false;

  // guest state
  activity: Activity = Activity.Halted;
  userMode = false;
  /** Guest time left in the current timed activity (or PV spin budget). */
  remainingNs = 0;
  activityStartNs = 0;
  /** Lock spun for or held, −1 when none. */
  lock = -1;
  /** Mutex waited for or held, −1 when none. */
  mutex = -1;
  /** Work left in the current burst before the vCPU idles. */
  burstLeftNs = 0;
  /** Operation to start when the current compute segment ends. */
  nextOp: NextOp = NextOp.EndBurst;
  /**
   * A critical section run ahead (guest/section-ahead.ts): when it ends (−1: none), when it began
   * and the push order its end event took there.
   */
  sectionEndNs = -1;
  sectionStartNs = 0;
  sectionOrder = 0;
  /** The next compute segment, drawn ahead (with a section run ahead): its length, end and mode. */
  drawn = false;
  drawnSegmentNs = 0;
  drawnNextOp: NextOp = NextOp.EndBurst;
  drawnUserMode = false;
  /** Receivers that have not yet run this vCPU's IPI handler. */
  roundPending = 0;
  /** Senders whose IPI this vCPU has not yet handled, in arrival order. */
  readonly handlerQueue: number[] = [];
  /** Activity interrupted by an IPI handler, resumed when the queue is empty. */
  savedActivity: Activity = Activity.Compute;
  savedRemainingNs = 0;
  savedUserMode = false;
  /** When a halted vCPU's idle period ends. */
  idleUntilNs = 0;
  /** Invalidates pending guest and PLE events of this vCPU. */
  guestGen = 0;
  timerGen = 0;

  // what happened
  usefulNs = 0;
  spinNs = 0;
  haltedNs = 0;
  pleExits = 0;
  pleWindowUpdates = 0;
  haltExits = 0;
  yieldAttempts = 0;
  yieldSuccesses = 0;
  boostsHonoured = 0;
  overboosts = 0;
  lostOpportunities = 0;
  criticalSections = 0;
  ipiRounds = 0;
  pvYieldAttempted = 0;
  /** Host CPU time spent halt-polling. */
  pollNs = 0;
  /** Shootdown receivers skipped because they were preempted (PV TLB flush: they flush on entry). */
  tlbFlushesDeferred = 0;
  /** Shootdown receivers skipped because they were idle (lazy TLB: they flush at their next switch). */
  tlbFlushesLazy = 0;
  pvYieldSuccessful = 0;
  readonly ipisSent: Float64Array;

  constructor(
    /** Index in the host's vCPU table. */
    readonly id: number,
    readonly vm: number,
    /** vCPU number inside its VM. */
    readonly index: number,
    vcpusInVm: number,
    readonly thread: Thread,
    /**
     * The guest's demand: every draw of what this vCPU's guest does — burst and idle lengths,
     * the gaps to its locks, IPI rounds and mutexes, which one, hold times, IPI receivers — in
     * the order the guest makes them. Nothing the host does draws from it, so a baseline and a
     * what-if with the same seed see the same guest (common random numbers): their difference is
     * the change, not two draws of the workload.
     */
    readonly demand: Rng,
  ) {
    this.ipiReceived = new Uint8Array(vcpusInVm);
    this.ipisSent = new Float64Array(vcpusInVm);
  }

  /** The strict boost marks this vCPU with `sender`'s bit. */
  markIpiFrom(sender: number): void {
    this.ipiReceived[sender] = 1;
    this.ipiMarked = true;
  }

  /** kvm_sched_in() under the strict boost: every bit clears. */
  clearIpiMarks(): void {
    if (!this.ipiMarked) return;
    this.ipiReceived.fill(0);
    this.ipiMarked = false;
  }

  get spinning(): boolean {
    return (
      this.activity === Activity.SpinLock ||
      this.activity === Activity.SpinIpi ||
      this.activity === Activity.SpinMutex
    );
  }
}
