/** What the host model's event queue holds: each event names its kind and the vCPU or load it is for. */
export const enum HostEvent {
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
  /** A VM's CFS bandwidth period ended (sched_cfs_period_timer): refill and unthrottle. */
  Bandwidth = 5,
  /** A VM's CFS bandwidth slack timer fired (sched_cfs_slack_timer): hand returned runtime out. */
  BandwidthSlack = 6,
}
