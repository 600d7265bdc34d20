import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FittedWorkload } from '../../telemetry';
import { pleRateStillFits, predictionsStillStand } from './model-reuse';

const fitted: FittedWorkload = {
  pinning: 'none',
  busy: 0.6,
  burstUs: 2000,
  locksPerSecond: 10_000,
  holdUs: 4,
  ipisPerSecond: 500,
  ipiTargets: 2,
};
const moved = (change: Partial<FittedWorkload>) => [fitted, { ...fitted, ...change }];

describe("a node's what-ifs after a refit", () => {
  it('stand while every lock rate is within ×1.1 of the one they were replayed on', () => {
    assert.ok(predictionsStillStand([fitted, fitted], moved({ locksPerSecond: 10_900 })));
    assert.ok(predictionsStillStand([fitted, fitted], moved({ locksPerSecond: 9_100 })));
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ locksPerSecond: 11_100 })));
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ locksPerSecond: 9_000 })));
  });

  it('and while busy share, burst and IPI rate stay within half a fingerprint bin', () => {
    assert.ok(
      predictionsStillStand([fitted, fitted], moved({ busy: 0.62, burstUs: 2200, ipisPerSecond: 550 })),
    );
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ busy: 0.63 })));
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ burstUs: 2300 })));
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ ipisPerSecond: 400 })));
  });

  it('never across a change of fan-out, pinning or VMs', () => {
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ ipiTargets: 3 })));
    assert.ok(!predictionsStillStand([fitted, fitted], moved({ pinning: 'dedicated' })));
    assert.ok(!predictionsStillStand([fitted, fitted], [fitted]));
  });
});

describe("a node's model and its PLE rate", () => {
  it('stands within half a fingerprint bin of the rate it was fitted to (±4.9 %)', () => {
    assert.ok(pleRateStillFits(104, 100));
    assert.ok(pleRateStillFits(96, 100));
    assert.ok(!pleRateStillFits(106, 100));
    assert.ok(!pleRateStillFits(94, 100));
  });

  it("and within twice the model's own noise, up to ×1.25", () => {
    assert.ok(pleRateStillFits(109, 100, 0.05));
    assert.ok(!pleRateStillFits(111, 100, 0.05));
    assert.ok(pleRateStillFits(124, 100, 0.5));
    assert.ok(!pleRateStillFits(126, 100, 0.5));
    assert.ok(!pleRateStillFits(106, 100, 0.01), 'a precise model: half a bin');
  });

  it('none observed stands only for none fitted', () => {
    assert.ok(pleRateStillFits(0, 0));
    assert.ok(!pleRateStillFits(0, 100, 0.5));
  });
});
