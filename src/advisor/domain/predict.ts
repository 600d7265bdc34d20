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
 * each candidate is compared with it seed by seed, and the baseline is simulated once per seed
 * instead of once per candidate.
 */
export class Baseline {
  private readonly runs = new Map<number, Totals>();

  constructor(
    readonly scenario: Scenario,
    readonly model: string,
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
    // `+ 0` turns a −0 (a tiny negative rounded) into 0, as the JSON a replica publishes does.
    const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 + 0 : 0);
    return { change: round(e.mean), ci95: round(e.ci95) };
  };
  return { pleExits: change('pleExits'), usefulNs: change('usefulNs'), spinNs: change('spinNs') };
}

/**
 * Seeds of a prediction: 101, 102, … — at least `min`, at most `max`. The guest draws its demand
 * from per-vCPU streams of the seed (common random numbers, `Vcpu.demand`), so a baseline and a
 * what-if run with one seed see the same guest and their paired difference is mostly the change
 * itself: two seeds often decide, and an undecided what-if gets more.
 */
export const PREDICTION_SEEDS = { first: 101, min: 2, max: 4 } as const;

/**
 * The change from `before` to `after` over paired seeds, adding a seed at a time from the minimum
 * until `decided` says more could not change the answer, or the maximum.
 */
export function predictUntilDecided(
  before: (seed: number) => PredictedTotals,
  after: (seed: number) => PredictedTotals,
  decided: (p: Prediction) => boolean,
  seeds: { first: number; min: number; max: number } = PREDICTION_SEEDS,
): { prediction: Prediction; seeds: number } {
  const b: PredictedTotals[] = [];
  const a: PredictedTotals[] = [];
  for (let seed = seeds.first; ; seed++) {
    b.push(before(seed));
    a.push(after(seed));
    if (a.length < seeds.min) continue;
    const p = pairedChange(b, a);
    if (a.length >= seeds.max || decided(p)) return { prediction: p, seeds: a.length };
  }
}
