import { pleRateOf, workloadOf, type Calibration } from './calibrate';
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

/** Whether `a` and `b` are within `ratio` of each other (both 0 counts as equal). */
const withinRatio = (a: number, b: number, ratio: number) =>
  a === b || (a > 0 && b > 0 && Math.max(a / b, b / a) <= ratio);
/** Half a fingerprint bin of a rate: ±12 %. */
const HALF_BIN = Math.sqrt(RESOLUTION.ratio);

/**
 * Whether the node's PLE rate `observed` is one its model, fitted to a window that showed
 * `fittedTo`, still stands for: within half a fingerprint bin (±4.9 %), or within twice the
 * model's own noise — the relative standard error of one run's PLE exits (`pleNoise`), what a
 * refit's runs could not resolve — but never beyond the fingerprint's ×1.25 of a rate. On 12
 * oversubscribed nodes of the bench's diverse fleet the spread of a fit's PLE rate over six seeds
 * was 1–20 % of it (median 6 %; 63 % on one whose PLE curve is noise): refitting for a smaller
 * move fits that noise again.
 */
export function pleRateStillFits(observed: number, fittedTo: number, pleNoise?: number | null): boolean {
  const ratio = Math.min(RESOLUTION.ratio, Math.max(Math.sqrt(RESOLUTION.pleRatio), 1 + 2 * (pleNoise ?? 0)));
  return withinRatio(observed, fittedTo, ratio);
}

/**
 * Whether a node's model still stands for a new window of it: the same shape, its PLE rate within
 * the model's resolution (`pleRateStillFits`), and each VM's busy share, burst and IPI rate within
 * half a fingerprint bin of what the model was fitted to — the fingerprint's resolution, centred
 * on the fit: a steady node whose load hovers at a bin edge keeps its model instead of refitting
 * at every crossing, and one whose load moved by more than the cache would share a model over is
 * fitted again.
 */
export function modelStillFits(model: NodeModel, request: ModelRequest): boolean {
  if (request.shape !== model.shape) return false;
  const cal = model.modelled.calibration;
  if (!pleRateStillFits(pleRateOf(request.observations), cal.observedPleRate, model.modelled.pleNoise))
    return false;
  return request.observations.every((vm, i) => {
    const now = workloadOf(vm, 0, 1);
    const fitted = cal.workloads[i];
    if (!fitted) return false;
    return (
      Math.abs(now.busy - fitted.busy) <= RESOLUTION.busy / 2 &&
      withinRatio(now.burstUs, fitted.burstUs, HALF_BIN) &&
      withinRatio(now.ipisPerSecond, fitted.ipisPerSecond * fitted.ipiTargets, HALF_BIN)
    );
  });
}

/**
 * How far a refit's lock rate may move from the one a node's what-ifs were replayed on before they
 * are replayed again. Measured on 7 nodes of the bench's diverse fleet (37 what-ifs): replayed at
 * ×0.9 and ×1.1 of each fitted lock rate, every recommend-or-not verdict stayed as it was; at
 * ×1.25 one of 37 turned.
 */
export const PREDICTED_LOCK_RATE_RATIO = 1.1;

/**
 * Whether the what-ifs replayed on `predictedOn` still stand for a refit of the same node to
 * `fitted`: the same VMs and fan-out, each VM's lock rate within ×1.1 of it, and busy share,
 * burst and IPI rate within half a fingerprint bin — a node whose PLE rate drifted out of its
 * model's band is refitted (a fraction of a second), and its what-ifs, most of a model's cost,
 * are replayed only once the fit has moved far enough to change them.
 */
export function predictionsStillStand(
  predictedOn: Calibration['workloads'],
  fitted: Calibration['workloads'],
): boolean {
  if (predictedOn.length !== fitted.length) return false;
  return fitted.every((now, i) => {
    const then = predictedOn[i]!;
    return (
      now.pinning === then.pinning &&
      now.ipiTargets === then.ipiTargets &&
      now.holdUs === then.holdUs &&
      withinRatio(now.locksPerSecond, then.locksPerSecond, PREDICTED_LOCK_RATE_RATIO) &&
      Math.abs(now.busy - then.busy) <= RESOLUTION.busy / 2 &&
      withinRatio(now.burstUs, then.burstUs, HALF_BIN) &&
      withinRatio(now.ipisPerSecond, then.ipisPerSecond, HALF_BIN)
    );
  });
}
