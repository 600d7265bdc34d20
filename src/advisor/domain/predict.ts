import type { Scenario } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import { estimate, relativeChange } from '../../sim/statistics';

export interface Prediction {
  pleExits: { change: number; ci95: number };
  usefulNs: { change: number; ci95: number };
}

/**
 * The change from `current` to `candidate` on the same fitted workload, paired seed by seed so the
 * interval reflects the model's noise, not two independent draws.
 */
export function predictChange(
  current: Scenario,
  currentModel: string,
  candidate: Scenario,
  candidateModel: string,
  seeds: number[],
): Prediction {
  const ple: number[] = [];
  const useful: number[] = [];
  for (const seed of seeds) {
    const a = simulate(current, currentModel, seed).totals;
    const b = simulate(candidate, candidateModel, seed).totals;
    ple.push(relativeChange(b.pleExits, a.pleExits));
    useful.push(relativeChange(b.usefulNs, a.usefulNs));
  }
  const round = (e: { mean: number; ci95: number }) => ({
    change: Number.isFinite(e.mean) ? Math.round(e.mean * 1e4) / 1e4 : 0,
    ci95: Number.isFinite(e.ci95) ? Math.round(e.ci95 * 1e4) / 1e4 : 0,
  });
  return { pleExits: round(estimate(ple)), usefulNs: round(estimate(useful)) };
}
