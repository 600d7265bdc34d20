import type { Prediction } from './predict';
import type { Calibration, VmObservation } from './calibrate';
import { pleRateOf, workloadOf } from './calibrate';
import type { NodeInventory } from '../../telemetry';

/** A node's fitted model and the predictions of every what-if replayed on it. */
export interface ModelledNode {
  calibration: Calibration;
  predictions: Map<string, Prediction>;
}

/** Bins a positive value on a log scale with `ratio` between bin edges; 0 has a bin of its own. */
const logBin = (x: number, ratio: number) => (x > 0 ? Math.round(Math.log(x) / Math.log(ratio)) : 'zero');

/**
 * What makes two windows model the same: host, kernel (or set model), PLE parameters, each VM's
 * shape, pinning and CPU limit, and its measured load binned (busy share ±2.5 points, burst and
 * IPI rate ±12 %, node PLE rate ±5 %).
 * Within a bin the fit and predictions are reused: a fleet of alike nodes is modelled once per
 * bin, and a steady node once until its load moves.
 */
export function nodeFingerprint(
  inventory: NodeInventory,
  vms: readonly VmObservation[],
  worst: number | null,
): string {
  const shape = (vm: VmObservation) => {
    const w = workloadOf(vm, 0, 1);
    return [
      vm.vcpus,
      vm.pinned,
      Math.round(w.busy * 20),
      logBin(w.burstUs, 1.25),
      logBin(w.ipisPerSecond, 1.25),
    ];
  };
  return JSON.stringify([
    inventory.kernel,
    inventory.pcpus,
    inventory.ple,
    inventory.ipiVirtualized,
    inventory.cpuVendor,
    // The operator's model for the node, and each VM's CPU limit, change what is replayed.
    inventory.model ?? null,
    inventory.vms.map((v) => v.cpuLimit ?? null),
    // Which of several alike VMs spins most is noise: its shape is what a placement what-if needs.
    worst === null ? null : shape(vms[worst]!),
    logBin(pleRateOf(vms), 1.1),
    vms.map(shape),
  ]);
}

/** A bounded least-recently-used map of modelled nodes, with hit and miss counts for /metrics. */
export class ModelCache {
  private readonly entries = new Map<string, ModelledNode>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 1024) {}

  get(key: string): ModelledNode | undefined {
    const hit = this.entries.get(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  set(key: string, value: ModelledNode): void {
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
