import type { Scenario } from '../../sim/scenario';
import type { Prediction } from './predict';
import type { Calibration, VmObservation } from './calibrate';
import { pleRateOf, workloadOf } from './calibrate';
import type { NodeInventory } from '../../telemetry';

/** Every what-if replayed on a fitted workload, by the candidate's id. */
export type Predictions = Map<string, Prediction>;

/** A node's fitted model and the predictions of every what-if replayed on it (or on an alike fit). */
export interface ModelledNode {
  calibration: Calibration;
  predictions: Predictions;
  /**
   * The fitted workloads the predictions were replayed on, when an earlier fit's — the node's own
   * or an alike node's (`predictionsStillStand`); absent: this calibration's own.
   */
  predictedOn?: Calibration['workloads'];
  /**
   * The relative standard error of one run's PLE exits under this model (`Baseline.pleNoise`),
   * when what-ifs were replayed: how far the load may move before the model can tell.
   */
  pleNoise?: number | null;
}

/** Bins a positive value on a log scale with `ratio` between bin edges; 0 has a bin of its own. */
const logBin = (x: number, ratio: number) => (x > 0 ? Math.round(Math.log(x) / Math.log(ratio)) : 'zero');

/** The resolution at which two loads model the same: bin widths of the fingerprint. */
export const RESOLUTION = { busy: 0.05, ratio: 1.25, pleRatio: 1.1 } as const;

/**
 * What of a node is discrete — host, kernel (or set model), PLE parameters, each VM's size,
 * pinning and CPU limit, and the shape of the VM that spins most — and so never "close enough".
 */
export function nodeShape(
  inventory: NodeInventory,
  vms: readonly VmObservation[],
  worst: number | null,
): string {
  return JSON.stringify([
    inventory.kernel,
    inventory.pcpus,
    inventory.ple,
    inventory.ipiVirtualized,
    inventory.haltPollNs ?? null,
    inventory.cpuVendor,
    // The operator's model for the node, and each VM's CPU limit, change what is replayed.
    inventory.model ?? null,
    inventory.vms.map((v) => v.cpuLimit ?? null),
    // The PV features each guest is offered change its workload (PV spinlocks, TLB flush, …).
    inventory.vms.map((v) => v.pv ?? null),
    // Which of several alike VMs spins most is noise: its shape is what a placement what-if needs.
    worst === null ? null : [vms[worst]!.vcpus, vms[worst]!.pinned],
    vms.map((vm) => [vm.vcpus, vm.pinned]),
  ]);
}

/**
 * What makes two windows model the same: the node's shape (`nodeShape`), and each VM's measured load binned
 * (busy share ±2.5 points, burst and IPI rate ±12 %, node PLE rate ±5 %).
 * Within a bin the fit and predictions are reused: a fleet of alike nodes is modelled once per
 * bin, and a steady node once until its load moves.
 */
export function nodeFingerprint(shape: string, vms: readonly VmObservation[]): string {
  const load = (vm: VmObservation) => {
    const w = workloadOf(vm, 0, 1);
    return [
      Math.round(w.busy / RESOLUTION.busy),
      logBin(w.burstUs, RESOLUTION.ratio),
      logBin(w.ipisPerSecond, RESOLUTION.ratio),
    ];
  };
  return JSON.stringify([shape, logBin(pleRateOf(vms), RESOLUTION.pleRatio), vms.map(load)]);
}

/** A key of the what-ifs replayed on a calibration, for a node (not) oversubscribed with this worst VM. */
type ReplayKey = (cal: Calibration, oversubscribed: boolean, worst: { index: number } | null) => string;

/**
 * The scenario a calibration replays, VM names aside, with each VM's busy share and its rates
 * (burst, lock and IPI rates) as `busy` and `rate` key them.
 */
function replayKey(
  cal: Calibration,
  oversubscribed: boolean,
  worst: { index: number } | null,
  busy: (share: number) => unknown,
  rate: (x: number) => unknown,
): string {
  const { host, vms } = cal.scenario;
  const vm = (v: Scenario['vms'][number]) => {
    const w = v.workload;
    return {
      ...v,
      name: '',
      workload: {
        ...w,
        busy: busy(w.busy),
        burst: rate(w.burst),
        locks: { ...w.locks, perSecond: rate(w.locks.perSecond) },
        ipis: { ...w.ipis, perSecond: rate(w.ipis.perSecond) },
      },
    };
  };
  return JSON.stringify([
    cal.model,
    host,
    cal.scenario.duration,
    oversubscribed,
    worst === null ? null : vm(vms[worst.index]!),
    vms.map(vm),
  ]);
}

/**
 * What makes two fitted workloads predict the same: the scenario replayed, its VM names aside,
 * with each VM's busy share, burst, lock and IPI rates binned as the fingerprint bins the load
 * (the lock rate, which the fingerprint does not carry, ±12 % like the other rates). Nodes whose
 * fits land in one bin share their what-ifs: the replays are most of a model's cost.
 */
export const predictionKey: ReplayKey = (cal, oversubscribed, worst) =>
  replayKey(
    cal,
    oversubscribed,
    worst,
    (share) => Math.round(share / RESOLUTION.busy),
    (x) => logBin(x, RESOLUTION.ratio),
  );

/**
 * The scenario replayed without the busy share and rates a fit moves: fits of one family have
 * each other's what-ifs while those are close enough (`predictionsStillStand`), wherever the bins
 * of `predictionKey` fall.
 */
export const predictionFamily: ReplayKey = (cal, oversubscribed, worst) =>
  replayKey(
    cal,
    oversubscribed,
    worst,
    () => null,
    () => null,
  );

/** A bounded least-recently-used map, with hit and miss counts for /metrics. */
export class LruCache<T> {
  private readonly entries = new Map<string, T>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 4096) {}

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** The entry, without counting a hit or a miss or making it recent. */
  peek(key: string): T | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
