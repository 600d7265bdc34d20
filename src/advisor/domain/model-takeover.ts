import { modelFor } from '../../sim/models';
import type { NodeAnalysis } from '../../telemetry';
import { fnv1a } from '../../sim/core/fnv1a';
import type { ModelRequest } from './analyze-node';
import {
  assumptionsOf,
  fittedScenario,
  modelDurationsNs,
  relativeMiss,
  reportedSettings,
  type Calibration,
} from './calibrate';
import type { Predictions } from './model-cache';
import type { NodeModel } from './model-reuse';
import { whatIfCandidates } from './what-ifs';

/**
 * The model behind a node's newest published analysis, rebuilt for a window of a replica that has
 * none of its own for the node — it took the node over in a rebalance, or restarted. Every replica
 * reads the analyses topic, and an analysis carries what a model is: the workload fitted to each
 * VM (the scenario is rebuilt from them as the fit built it), the PLE rates it was fitted to, how
 * precisely the model gives its own, and every what-if's prediction. So the new owner answers the
 * node's windows from it while the load stays within its resolution (`modelStillFits`), and
 * starts a refit from its lock rate, instead of fitting and replaying the whole fleet again after
 * every restart.
 *
 * Null when the analysis does not describe this window's node: an older sender (no `fit`), another
 * shape (host, kernel, PLE, a VM's size, pinning or limit changed), other VMs, another model, or
 * what-ifs other than this window would replay.
 */
export function takeOverModel(analysis: NodeAnalysis, request: ModelRequest): NodeModel | null {
  const { fit } = analysis;
  const { inventory, observations } = request;
  if (!fit || fit.shape !== fnv1a(request.shape)) return null;
  if (analysis.model !== modelFor(inventory.kernel, inventory.model).model.name) return null;
  if (
    analysis.vms.length !== observations.length ||
    analysis.vms.some((vm, i) => vm.name !== observations[i]!.name)
  )
    return null;
  const workloads = analysis.vms.map((vm) => vm.workload);
  const miss = relativeMiss(fit.fittedPleRate, fit.observedPleRate);
  const { locksPerSecond, ipiTargets } = workloads[0] ?? { locksPerSecond: 0, ipiTargets: 1 };
  const calibration: Calibration = {
    // As `calibrate` builds it, so the what-ifs are the ones that were replayed (seed 1, as fitted).
    scenario: fittedScenario(
      inventory,
      observations,
      workloads,
      modelDurationsNs(inventory.pcpus).predictNs,
      1,
    ),
    model: analysis.model,
    residual: miss,
    observedPleRate: fit.observedPleRate,
    fittedPleRate: fit.fittedPleRate,
    workloads,
    ...reportedSettings(inventory),
    hint: { lockRate: locksPerSecond, targets: ipiTargets, pleRate: fit.fittedPleRate, residual: miss },
    assumptions: assumptionsOf(observations, ipiTargets),
    runs: 0,
  };
  const predictions: Predictions = new Map();
  const names = observations.map((o) => o.name);
  for (const c of whatIfCandidates(calibration, request.oversubscribed, request.worst, names)) {
    // The placement what-if isolates the VM that spins most, whichever alike VM that is now (as a
    // node's own model is reused); a kernel or PLE what-if must be the same change.
    const w = analysis.whatIfs.find(
      (x) => x.kind === c.kind && (x.kind === 'placement' || x.target === c.target),
    );
    if (!w) return null;
    predictions.set(c.id, { pleExits: w.pleExits, usefulNs: w.usefulNs, spinNs: w.spinNs });
  }
  if (predictions.size !== analysis.whatIfs.length) return null;
  return {
    shape: request.shape,
    modelled: { calibration, predictions, pleNoise: fit.pleNoise ?? null },
    fittedToMs: analysis.modelFittedToMs ?? analysis.windowEndMs,
  };
}
