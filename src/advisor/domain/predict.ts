import { simulateBatches, type BatchTotals } from '../../sim/batches';
import type { Scenario } from '../../sim/scenario';
import { ratioChange } from '../../sim/statistics';

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
 * Batches per replay (`simulateBatches`): five stretches, 25 ms each of a 64-pCPU host's 125 ms
 * replay (100 ms of an 8-pCPU host's 500) — several CFS periods and scheduler ticks on every
 * pCPU, so a batch's spinning hardly carries into the next. On 8 nodes of the bench's diverse
 * fleet (44 what-ifs, 8 seeds each), one run in five batches gave intervals as narrow as three
 * whole seeds and two as narrow as four, covering the change of six other seeds 90 % and 93 % of
 * the time (whole seeds: 94–95 %).
 */
export const BATCHES_PER_RUN = 5;

/** One replay of `scenario` under `model`, cut into its batches. */
export function replay(scenario: Scenario, model: string, seed: number): BatchTotals[] {
  return simulateBatches(scenario, model, seed, BATCHES_PER_RUN);
}

/**
 * The fitted workload under the node's current model, one run per seed, shared by every what-if:
 * each candidate is compared with it seed by seed, and the baseline is simulated once per seed
 * instead of once per candidate.
 */
export class Baseline {
  private readonly runs = new Map<number, BatchTotals[]>();

  constructor(
    readonly scenario: Scenario,
    readonly model: string,
  ) {}

  batches(seed: number): BatchTotals[] {
    let t = this.runs.get(seed);
    if (!t) this.runs.set(seed, (t = replay(this.scenario, this.model, seed)));
    return t;
  }

  /**
   * How precisely one run of the model gives its PLE rate: the relative standard error of a run's
   * PLE exits, from the spread of its batches over every seed run so far (null before two
   * batches, or without PLE exits). A load that moved by less than this, the model cannot tell
   * from the one it was fitted to.
   */
  pleNoise(): number | null {
    const exits = [...this.runs.values()].flat().map((b) => b.pleExits);
    const n = exits.length;
    const mean = exits.reduce((a, x) => a + x, 0) / n;
    if (n < 2 || !(mean > 0)) return null;
    const variance = exits.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
    return Math.sqrt(variance / BATCHES_PER_RUN) / mean;
  }
}

/** What a prediction compares between two runs (or two batches of them). */
export type PredictedTotals = BatchTotals;

/**
 * The relative change from `before` to `after`, observation i of one paired with observation i of
 * the other (the same seed's run, or the same batch of it), as the ratio of their sums with its
 * 95 % interval (`ratioChange`), to four decimals.
 */
export function pairedChange(
  before: readonly PredictedTotals[],
  after: readonly PredictedTotals[],
): Prediction {
  const change = (field: keyof PredictedTotals): Change => {
    const e = ratioChange(
      before.map((b) => b[field]),
      after.map((a) => a[field]),
    );
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
 * itself; with each run in batches, one seed often decides, and an undecided what-if gets more.
 */
export const PREDICTION_SEEDS = { first: 101, min: 1, max: 3 } as const;

/**
 * The change from `before` to `after` over paired seeds — every batch of a seed's run paired with
 * the same batch of the other's — adding a seed at a time from the minimum until `decided` says
 * more could not change the answer, or the maximum.
 */
export function predictUntilDecided(
  before: (seed: number) => readonly PredictedTotals[],
  after: (seed: number) => readonly PredictedTotals[],
  decided: (p: Prediction) => boolean,
  seeds: { first: number; min: number; max: number } = PREDICTION_SEEDS,
): { prediction: Prediction; seeds: number } {
  const b: PredictedTotals[] = [];
  const a: PredictedTotals[] = [];
  for (let seed = seeds.first, n = 1; ; seed++, n++) {
    b.push(...before(seed));
    a.push(...after(seed));
    if (n < seeds.min) continue;
    const p = pairedChange(b, a);
    if (n >= seeds.max || decided(p)) return { prediction: p, seeds: n };
  }
}
