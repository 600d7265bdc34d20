import type { Scenario } from '../../sim/scenario';
import type { Totals } from '../../sim/results';
import { simulate } from '../../sim/simulate';
import { estimate, relativeChange } from '../../sim/statistics';

export interface Change {
  change: number;
  ci95: number;
}

export interface Prediction {
  pleExits: Change;
  usefulNs: Change;
  spinNs: Change;
}

/**
 * The fitted workload under the node's current model, one run per seed, shared by every what-if:
 * each candidate is compared with it seed by seed, so the interval reflects the model's noise, not
 * two independent draws, and the baseline is simulated once instead of once per candidate.
 */
export class Baseline {
  private readonly runs = new Map<number, Totals>();

  constructor(
    readonly scenario: Scenario,
    readonly model: string,
    readonly seeds: readonly number[],
  ) {}

  totals(seed: number): Totals {
    let t = this.runs.get(seed);
    if (!t) this.runs.set(seed, (t = simulate(this.scenario, this.model, seed).totals));
    return t;
  }
}

const round = (samples: number[]): Change => {
  const e = estimate(samples);
  return {
    change: Number.isFinite(e.mean) ? Math.round(e.mean * 1e4) / 1e4 : 0,
    ci95: Number.isFinite(e.ci95) ? Math.round(e.ci95 * 1e4) / 1e4 : 0,
  };
};

/** The change from the baseline to `candidate` under `candidateModel`, paired seed by seed. */
export function predictChange(baseline: Baseline, candidate: Scenario, candidateModel: string): Prediction {
  const ple: number[] = [];
  const useful: number[] = [];
  const spin: number[] = [];
  for (const seed of baseline.seeds) {
    const a = baseline.totals(seed);
    const b = simulate(candidate, candidateModel, seed).totals;
    ple.push(relativeChange(b.pleExits, a.pleExits));
    useful.push(relativeChange(b.usefulNs, a.usefulNs));
    spin.push(relativeChange(b.spinNs, a.spinNs));
  }
  return { pleExits: round(ple), usefulNs: round(useful), spinNs: round(spin) };
}
