/** What one model run produced: per vCPU, per VM, totals, and host counters. All times are ns. */
export interface VcpuResult {
  vm: string;
  vcpu: number;
  /** Thread id as a node would report it (synthetic). */
  tid: number;
  pleExits: number;
  pleWindowUpdates: number;
  spinNs: number;
  usefulNs: number;
  haltedNs: number;
  runNs: number;
  waitNs: number;
  timeslices: number;
  involuntarySwitches: number;
  voluntarySwitches: number;
  haltExits: number;
  yieldAttempts: number;
  yieldSuccesses: number;
  boostsHonoured: number;
  overboosts: number;
  lostOpportunities: number;
  criticalSections: number;
  ipiRounds: number;
  /** PV directed yields (KVM_HC_KICK_CPU), what KVM's directed_yield_* stats count. */
  pvYieldAttempted: number;
  pvYieldSuccessful: number;
  /** Time runnable but off the runqueue with its VM's throttled cfs_rq (CPU limit). */
  throttledNs: number;
  /** Host CPU time spent halt-polling (kvm_vcpu_halt). */
  pollNs: number;
  /** Shootdown receivers skipped as preempted (PV TLB flush: they flush at their next VM entry). */
  tlbFlushesDeferred: number;
  /** Shootdown receivers skipped as idle (lazy TLB mode: they flush at their next context switch). */
  tlbFlushesLazy: number;
  /** IPIs sent to each vCPU of the same VM, by index. */
  ipisSent: number[];
}

export interface Totals {
  pleExits: number;
  spinNs: number;
  usefulNs: number;
  /** Completed critical sections and IPI rounds. */
  work: number;
  yieldAttempts: number;
  yieldSuccesses: number;
  boostsHonoured: number;
  overboosts: number;
  lostOpportunities: number;
  runNs: number;
  waitNs: number;
  haltedNs: number;
}

export interface VmResult extends Totals {
  name: string;
  vcpus: number;
  criticalSections: number;
  ipiRounds: number;
  /** Share of the host's CPU time this VM's threads ran. */
  cpuShare: number;
  /** CFS bandwidth (cpu.stat): time its cfs_rqs were throttled, summed over pCPUs; periods throttled; periods. */
  throttledNs: number;
  nrThrottled: number;
  nrPeriods: number;
}

export interface SimulationResult {
  model: string;
  kernel: string;
  seed: number;
  durationNs: number;
  pcpus: number;
  /** Events the model handled (an event superseded before its time, by a newer one of its vCPU and kind, is not one). */
  events: number;
  totals: Totals & { jainFairness: number };
  vms: VmResult[];
  vcpus: VcpuResult[];
  host: { busyNs: number[]; idleNs: number[]; yieldCount: number[] };
}

export const TOTAL_KEYS = [
  'pleExits',
  'spinNs',
  'usefulNs',
  'work',
  'yieldAttempts',
  'yieldSuccesses',
  'boostsHonoured',
  'overboosts',
  'lostOpportunities',
  'runNs',
  'waitNs',
  'haltedNs',
] as const satisfies readonly (keyof Totals)[];

export function emptyTotals(): Totals {
  return Object.fromEntries(TOTAL_KEYS.map((k) => [k, 0])) as unknown as Totals;
}

export function addVcpu(into: Totals, v: VcpuResult): void {
  into.pleExits += v.pleExits;
  into.spinNs += v.spinNs;
  into.usefulNs += v.usefulNs;
  into.work += v.criticalSections + v.ipiRounds;
  into.yieldAttempts += v.yieldAttempts;
  into.yieldSuccesses += v.yieldSuccesses;
  into.boostsHonoured += v.boostsHonoured;
  into.overboosts += v.overboosts;
  into.lostOpportunities += v.lostOpportunities;
  into.runNs += v.runNs;
  into.waitNs += v.waitNs;
  into.haltedNs += v.haltedNs;
}

/** Jain's fairness index (Σx)² / (n·Σx²): 1 when every VM gets the same CPU per vCPU. */
export function jainFairness(values: number[]): number {
  let sum = 0;
  let squares = 0;
  for (const x of values) {
    sum += x;
    squares += x * x;
  }
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}
