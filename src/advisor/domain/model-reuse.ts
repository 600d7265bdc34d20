import { pleRateOf, workloadOf } from './calibrate';
import type { ModelledNode } from './model-cache';
import { RESOLUTION } from './model-cache';
import type { ModelRequest } from './analyze-node';

/** A node's newest model, and what it was fitted to. */
export interface NodeModel {
  /** `nodeShape` of the window it was fitted to. */
  shape: string;
  modelled: ModelledNode;
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
export function modelStillFits(model: NodeModel, request: ModelRequest): boolean {
  if (request.shape !== model.shape) return false;
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
