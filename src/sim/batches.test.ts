import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { simulateBatches } from './batches';
import { parseScenarioYaml } from './scenario';
import { simulate } from './simulate';
import { ratioChange } from './statistics';

const paper = parseScenarioYaml(
  readFileSync(join(__dirname, '..', '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8'),
);
const scenario = { ...paper, duration: 60_000_000 };

describe('a run in batches', () => {
  for (const model of ['stock-5.6', 'ple-kvm', 'stock-6.12'])
    it(`${model}: the batches add up to the whole run's totals, to the nanosecond`, () => {
      const batches = simulateBatches(scenario, model, 7, 5);
      assert.equal(batches.length, 5);
      const whole = simulate(scenario, model, 7).totals;
      for (const field of ['pleExits', 'usefulNs', 'spinNs'] as const)
        assert.equal(
          batches.reduce((a, b) => a + b[field], 0),
          whole[field],
          field,
        );
      // Each batch is a stretch of its own: 8:4 oversubscribed guests spin in every one of them.
      for (const b of batches) assert.ok(b.spinNs > 0 && b.usefulNs > 0, JSON.stringify(b));
    });
});

describe('the ratio of paired sums', () => {
  it('is the change of the totals, with the linearised interval', () => {
    const before = [100, 300, 200];
    const after = [100, 150, 50];
    const e = ratioChange(before, after);
    assert.equal(e.mean, 300 / 600 - 1);
    // Residuals (a − ½·b) / 200: 0.25, 0, −0.25; s² = 0.0625; t(2) = 4.303.
    assert.ok(Math.abs(e.ci95 - 4.303 * Math.sqrt(0.0625 / 3)) < 1e-12, `${e.ci95}`);
  });

  it('pairs that change alike leave no interval; one pair has none to give', () => {
    assert.deepEqual(ratioChange([10, 20, 30], [5, 10, 15]), { mean: -0.5, ci95: 0 });
    assert.deepEqual(ratioChange([10], [15]), { mean: 0.5, ci95: 0 });
  });

  it('without a baseline: no change from nothing to nothing, an infinite one from nothing to some', () => {
    assert.deepEqual(ratioChange([0, 0], [0, 0]), { mean: 0, ci95: 0 });
    assert.equal(ratioChange([0, 0], [0, 3]).mean, Infinity);
  });
});
