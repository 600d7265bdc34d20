import { SchedAvg } from '../sched/pelt';

/**
 * Where a host thread is: on a pCPU, waiting in a runqueue, asleep (a vCPU in HLT, idle host
 * load), or runnable but off the runqueue with its cgroup's throttled cfs_rq (CFS bandwidth).
 */
export const enum ThreadState {
  Running = 0,
  Runnable = 1,
  Sleeping = 2,
  Throttled = 3,
}

/** Nice-0 load weight (kernel/sched/core.c sched_prio_to_weight[20]); every modelled thread runs at nice 0. */
export const NICE_0_WEIGHT = 1024;

/** calc_delta_fair(): `ns` of run time in `t`'s virtual time (unchanged at nice 0). */
export function vtime(ns: number, t: Thread): number {
  return t.weight === NICE_0_WEIGHT ? ns : (ns * NICE_0_WEIGHT) / t.weight;
}

/**
 * A host thread as the scheduler sees it (a `sched_entity` plus its task state), and the
 * schedstat-style counters a node exposes for it. vCPU threads carry the index of their vCPU.
 */
export class Thread {
  state: ThreadState = ThreadState.Sleeping;
  /** The pCPU whose runqueue holds it (or last held it). */
  cpu: number;
  // sched_entity
  /** load.weight: NICE_0_WEIGHT for a task; a group entity's share of its group (calc_group_shares). */
  weight = NICE_0_WEIGHT;
  vruntime = 0;
  /** EEVDF virtual deadline. */
  deadline = 0;
  /** EEVDF lag saved at dequeue (V − vruntime), restored by place_entity. */
  vlag = 0;
  /**
   * se->sched_delayed (DELAY_DEQUEUE, 6.12+): asleep but still on its runqueue, where it counts in
   * the average vruntime, nr_running and the load until it is picked or woken.
   */
  delayed = false;
  /** EEVDF RUN_TO_PARITY: the deadline it was picked with; protection ends once the deadline moves. */
  pickedDeadline = -1;
  sumExecNs = 0;
  /** sum_exec_runtime when last picked (prev_sum_exec_runtime). */
  execAtPickNs = 0;
  /** When update_curr last charged it. */
  execStartNs = 0;
  /**
   * When it was last enqueued or picked: its place in rq->cfs_tasks, which both move to the head
   * (account_entity_enqueue, set_next_entity); detach_tasks() takes from the tail.
   */
  queuedNs = 0;
  /**
   * PELT signals (se->avg). The model starts on a host that has run long before: every thread
   * at its weight, as the kernel starts a new task (init_entity_runnable_average); one that
   * sleeps decays from there with the 32 ms half-life.
   */
  readonly avg = SchedAvg.settled(0, NICE_0_WEIGHT, true);
  /** record_wakee(): whom it woke last, how often it switched (halved each second), and when last halved. */
  lastWakee: Thread | null = null;
  wakeeFlips = 0;
  wakeeFlipDecayNs = 0;
  // what a node reports (/proc/<pid>/task/<tid>/schedstat and status)
  runNs = 0;
  waitNs = 0;
  timeslices = 0;
  involuntarySwitches = 0;
  voluntarySwitches = 0;
  runnableSinceNs = 0;
  /** Time off the runqueue with a throttled cfs_rq, and since when. */
  throttledNs = 0;
  throttledSinceNs = 0;

  constructor(
    readonly id: number,
    /** Index into the model's vCPU table, or −1 for other host load. */
    readonly vcpu: number,
    /** pCPUs it may run on (Cpus_allowed_list). */
    readonly allowed: readonly number[],
  ) {
    this.cpu = allowed[0]!;
  }
}
