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

/** What a prediction compares between two runs. */
export type PredictedTotals = Pick<Totals, 'pleExits' | 'usefulNs' | 'spinNs'>;

/**
 * The relative change from `before` to `after`, run i of one paired with run i of the other (same
 * seed), as a mean with its 95 % interval, to four decimals.
 */
export function pairedChange(
  before: readonly PredictedTotals[],
  after: readonly PredictedTotals[],
): Prediction {
  const change = (field: keyof PredictedTotals): Change => {
    const e = estimate(before.map((b, i) => relativeChange(after[i]![field], b[field])));
    const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : 0);
    return { change: round(e.mean), ci95: round(e.ci95) };
  };
  return { pleExits: change('pleExits'), usefulNs: change('usefulNs'), spinNs: change('spinNs') };
}

/** The change from the baseline to `candidate` under `candidateModel`, paired seed by seed. */
export function predictChange(baseline: Baseline, candidate: Scenario, candidateModel: string): Prediction {
  return pairedChange(
    baseline.seeds.map((seed) => baseline.totals(seed)),
    baseline.seeds.map((seed) => simulate(candidate, candidateModel, seed).totals),
  );
}
