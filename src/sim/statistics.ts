/** Two-sided 95 % Student-t critical values for 1…30 degrees of freedom; 1.96 beyond. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface Estimate {
  mean: number;
  /** Half-width of the 95 % confidence interval of the mean (0 for a single sample). */
  ci95: number;
}

export function estimate(samples: number[]): Estimate {
  const n = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: 0 };
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, ci95: (T95[n - 2] ?? 1.96) * Math.sqrt(variance / n) };
}

/** Relative change of `value` against `base` as a fraction (−0.7 = 70 % fewer); 0 when both are 0. */
export function relativeChange(value: number, base: number): number {
  if (base === 0) return value === 0 ? 0 : Infinity;
  return (value - base) / base;
}

/**
 * The relative change of a total from `before` to `after` over paired observations (run i of one
 * with run i of the other, or batch j of them): the ratio of their sums, less one, with the 95 %
 * interval of that ratio by linearisation — the ratio estimator's standard error (Cochran,
 * "Sampling Techniques", chapter 6): residuals (aᵢ − R·bᵢ) / mean(b), Student's t with n − 1 degrees of
 * freedom. Unlike a mean of per-pair relative changes, a pair with little in its baseline (a short
 * batch with almost no spinning) weighs only as much as it holds. No baseline at all: 0 when the
 * other is 0 too, else an infinite change without interval.
 */
export function ratioChange(before: readonly number[], after: readonly number[]): Estimate {
  const n = before.length;
  let sumBefore = 0;
  let sumAfter = 0;
  for (let i = 0; i < n; i++) {
    sumBefore += before[i]!;
    sumAfter += after[i]!;
  }
  if (sumBefore === 0) return { mean: sumAfter === 0 ? 0 : Infinity, ci95: 0 };
  const ratio = sumAfter / sumBefore;
  if (n < 2) return { mean: ratio - 1, ci95: 0 };
  const meanBefore = sumBefore / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((after[i]! - ratio * before[i]!) / meanBefore) ** 2;
  return { mean: ratio - 1, ci95: (T95[n - 2] ?? 1.96) * Math.sqrt(squares / (n - 1) / n) };
}
