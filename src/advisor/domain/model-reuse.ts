import type { Scenario } from '../../sim/scenario';
import { pleRateOf, workloadOf } from './calibrate';
import type { ModelledNode } from './model-cache';
import { RESOLUTION } from './model-cache';
import type { ModelRequest } from './analyze-node';

/** A node's newest model, and what it was fitted to. */
export interface NodeModel {
  /** `nodeShape` of the window it was fitted to. */
  shape: string;
  modelled: ModelledNode;
  /** What its what-ifs depend on besides the workload: the model, oversubscription, the VM that spins most. */
  whatIfContext: string;
  /** End of the window it was fitted to. */
  fittedToMs: number;
}

const withinRatio = (a: number, b: number, ratio: number) =>
  a === b || (a > 0 && b > 0 && Math.max(a / b, b / a) <= Math.sqrt(ratio));

/**
 * Whether a node's model still stands for a new window of it: the same shape, and every measured
 * load within half a fingerprint bin of what the model was fitted to — the node PLE rate, each
 * VM's busy share, burst and IPI rate. The fingerprint's resolution, centred on the fit: a steady
 * node whose load hovers at a bin edge keeps its model instead of refitting at every crossing,
 * and one whose load moved by more than the cache would share a model over is fitted again.
 */
export function modelStillFits(model: NodeModel, request: ModelRequest, shape: string): boolean {
  if (shape !== model.shape) return false;
  const cal = model.modelled.calibration;
  if (!withinRatio(pleRateOf(request.observations), cal.observedPleRate, RESOLUTION.pleRatio)) return false;
  return request.observations.every((vm, i) => {
    const now = workloadOf(vm, 0, 1);
    const fitted = cal.workloads[i];
    if (!fitted) return false;
    return (
      Math.abs(now.busy - fitted.busy) <= RESOLUTION.busy / 2 &&
      withinRatio(now.burstUs, fitted.burstUs, RESOLUTION.ratio) &&
      withinRatio(now.ipisPerSecond, fitted.ipisPerSecond * fitted.ipiTargets, RESOLUTION.ratio)
    );
  });
}

/** What of a fitted scenario is discrete: everything but each VM's busy share, burst, lock and IPI rates. */
function discretePart(s: Scenario): string {
  return JSON.stringify({
    ...s,
    vms: s.vms.map((v) => ({
      ...v,
      name: '',
      workload: {
        ...v.workload,
        busy: 0,
        burst: 0,
        locks: { ...v.workload.locks, perSecond: 0 },
        ipis: { ...v.workload.ipis, perSecond: 0 },
      },
    })),
  });
}

/**
 * Whether what-ifs replayed on fitted workload `replayed` hold for a new fit `now` of the node:
 * every discrete part the same, and each VM's busy share, burst, lock and IPI rates within half a
 * bin of `predictionKey`'s (the resolution at which alike nodes share what-ifs), centred on the
 * replayed ones. A refit that moved the lock rate a few per cent keeps its node's what-ifs.
 */
export function whatIfsStillHold(replayed: Scenario, now: Scenario): boolean {
  if (discretePart(replayed) !== discretePart(now)) return false;
  return now.vms.every((vm, i) => {
    const a = replayed.vms[i]!.workload;
    const b = vm.workload;
    return (
      Math.abs(a.busy - b.busy) <= RESOLUTION.busy / 2 &&
      withinRatio(a.burst, b.burst, RESOLUTION.ratio) &&
      withinRatio(a.locks.perSecond, b.locks.perSecond, RESOLUTION.ratio) &&
      withinRatio(a.ipis.perSecond, b.ipis.perSecond, RESOLUTION.ratio)
    );
  });
}
