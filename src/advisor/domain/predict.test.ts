import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ratioChange } from '../../sim/statistics';
import { parseScenario } from '../../sim/scenario';
import {
  BATCHES_PER_RUN,
  Baseline,
  pairedChange,
  predictUntilDecided,
  type PredictedTotals,
} from './predict';
import { decided, worthIt } from './worth-it';

const run = (spinNs: number, pleExits = 1000, usefulNs = 1e9): PredictedTotals => ({
  spinNs,
  pleExits,
  usefulNs,
});

describe('paired predictions', () => {
  it('pairs run i of the baseline with run i of the what-if: a what-if that halves every seed is −50 % ± 0', () => {
    const before = [run(100), run(300), run(200)];
    const after = [run(50), run(150), run(100)];
    assert.deepEqual(pairedChange(before, after).spinNs, { change: -0.5, ci95: 0 });
    // The same runs paired otherwise: the seed-to-seed spread of the workload is in the interval.
    const unpaired = pairedChange(before, [...after].reverse()).spinNs;
    assert.ok(unpaired.ci95 > 0.5, `unpaired ±${unpaired.ci95}`);
    const expected = ratioChange([100, 300, 200], [100, 150, 50]);
    assert.equal(unpaired.ci95, Math.round(expected.ci95 * 1e4) / 1e4);
  });

  it('weighs a pair by what its baseline holds: a batch with almost no spinning does not swing the change', () => {
    // Per-pair relative changes would average −50 %, −50 % and +900 %: one near-empty batch decides.
    const p = pairedChange([run(1000), run(1000), run(1)], [run(500), run(500), run(10)]).spinNs;
    assert.equal(p.change, Math.round((1010 / 2001 - 1) * 1e4) / 1e4);
    assert.ok(p.change < -0.49, `${p.change}`);
  });

  it('adds seeds from the minimum until the interval decides, or the maximum, never fewer or more', () => {
    /** A seed's run in two batches, (before, after) each. */
    const batch = () => fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1000 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(batch(), batch()), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (runs, min, extra, width) => {
          const max = min + extra;
          const asked: number[] = [];
          const before = (seed: number) => (asked.push(seed), runs[seed - 1]!.map(([b]) => run(b)));
          const after = (seed: number) => runs[seed - 1]!.map(([, a]) => run(a));
          /** The prediction from every batch of the first n seeds, computed here apart from the code under test. */
          const firstSeeds = (n: number) =>
            pairedChange(
              runs.slice(0, n).flatMap((seed) => seed.map(([b]) => run(b))),
              runs.slice(0, n).flatMap((seed) => seed.map(([, a]) => run(a))),
            );
          // Decided once the spin interval is narrower than `width`.
          const narrow = (n: number) => firstSeeds(n).spinNs.ci95 < width;
          const { prediction, seeds } = predictUntilDecided(before, after, (p) => p.spinNs.ci95 < width, {
            first: 1,
            min,
            max,
          });
          assert.deepEqual(
            asked,
            Array.from({ length: seeds }, (_, i) => i + 1),
            'seeds in order, once each',
          );
          assert.ok(seeds >= min && seeds <= max, `${seeds} seeds within [${min}, ${max}]`);
          for (let n = min; n < seeds; n++) assert.ok(!narrow(n), `stopped late: decided at ${n}`);
          assert.ok(seeds === max || narrow(seeds), 'stopped undecided before the maximum');
          assert.deepEqual(prediction, firstSeeds(seeds));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the baseline's noise", () => {
  const scenario = (ple: boolean) =>
    parseScenario({
      host: { pcpus: 4, kernel: '5.6.0', ple: { enabled: ple } },
      vms: [{ name: 'a', vcpus: 8, workload: { busy: 0.9, locks: { count: 2, perSecond: 20_000 } } }],
      duration: '50ms',
    });

  it("is the relative standard error of one run's PLE exits, from the spread of its batches", () => {
    const baseline = new Baseline(scenario(true), 'stock-5.6');
    assert.equal(baseline.pleNoise(), null, 'nothing run yet');
    const exits = [...baseline.batches(101), ...baseline.batches(102)].map((b) => b.pleExits);
    const mean = exits.reduce((a, x) => a + x, 0) / exits.length;
    const variance = exits.reduce((a, x) => a + (x - mean) ** 2, 0) / (exits.length - 1);
    assert.ok(mean > 0);
    assert.equal(baseline.pleNoise(), Math.sqrt(variance / BATCHES_PER_RUN) / mean);
  });

  it('is unknown without PLE exits', () => {
    const baseline = new Baseline(scenario(false), 'stock-5.6');
    baseline.batches(101);
    assert.equal(baseline.pleNoise(), null);
  });
});

describe('worth recommending, and decided', () => {
  const p = (
    spin: [number, number],
    ple: [number, number] = [-0.5, 0.05],
    useful: [number, number] = [0, 0],
  ) => ({
    spinNs: { change: spin[0], ci95: spin[1] },
    pleExits: { change: ple[0], ci95: ple[1] },
    usefulNs: { change: useful[0], ci95: useful[1] },
  });

  it('a kernel whose spin surely falls: worth it, and decided', () => {
    assert.ok(worthIt('kernel', p([-0.5, 0.1])));
    assert.ok(decided('kernel', p([-0.5, 0.1])));
  });

  it('a kernel whose spin interval straddles zero: not yet worth it, undecided (more seeds may tell)', () => {
    assert.ok(!worthIt('kernel', p([-0.05, 0.1])));
    assert.ok(!decided('kernel', p([-0.05, 0.1])));
  });

  it('an unmet requirement that more seeds cannot meet decides: PLE exits surely not down 20 %', () => {
    assert.ok(!worthIt('kernel', p([-0.05, 0.1], [0.1, 0.05])));
    assert.ok(decided('kernel', p([-0.05, 0.1], [0.1, 0.05])));
  });

  it('an interval that is a point (every seed alike, a node without spinning) is decided', () => {
    assert.ok(!worthIt('kernel', p([0, 0])));
    assert.ok(decided('kernel', p([0, 0])));
  });

  it('halt polling: useful time surely up 1 % and spin possibly down', () => {
    assert.ok(worthIt('host-setting', p([0, 0], [0, 0], [0.03, 0.005])));
    assert.ok(worthIt('host-setting', p([0.01, 0.02], [0, 0], [0.03, 0.005])), 'spin not surely up');
    assert.ok(!worthIt('host-setting', p([0.05, 0.02], [0, 0], [0.03, 0.005])), 'spin surely up');
    assert.ok(!decided('host-setting', p([0, 0], [0, 0], [0.012, 0.005])), 'useful interval straddles +1 %');
  });
});
