import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decayLoad, LOAD_AVG_MAX, RUNNABLE_AVG_YN_INV, SchedAvg, updateLoadAvg } from './pelt';

const MS = 1_000_000;

/** Run a signal in 1 ms steps for `ms`, on the runqueue and running or not. */
function drive(sa: SchedAvg, fromNs: number, ms: number, onRq: boolean): number {
  let now = fromNs;
  for (let i = 0; i < ms; i++) {
    now += MS;
    updateLoadAvg(sa, now, onRq ? 1 : 0, onRq ? 1 : 0, onRq, 1024);
  }
  return now;
}

describe('PELT (kernel/sched/pelt.c)', () => {
  it('the decay table is (2^32 − 1) · y^n with y^32 = 1/2', () => {
    const y = 0.5 ** (1 / 32);
    RUNNABLE_AVG_YN_INV.forEach((v, n) =>
      assert.ok(Math.abs(v - Math.floor(4294967295 * y ** n)) <= 1, `entry ${n}: ${v.toString(16)}`),
    );
  });

  it('decay_load is the kernel’s 64×32-bit multiply, exactly (compared with BigInt)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 37 }), fc.integer({ min: 0, max: 2100 }), (val, n) => {
        let v = BigInt(val);
        let k = n;
        if (k > 32 * 63) return decayLoad(val, n) === 0;
        if (k >= 32) {
          v >>= BigInt(Math.floor(k / 32));
          k %= 32;
        }
        return decayLoad(val, n) === Number((v * BigInt(RUNNABLE_AVG_YN_INV[k]!)) >> 32n);
      }),
    );
  });

  it('a task always on the runqueue climbs to its weight; LOAD_AVG_MAX is the sum’s ceiling', () => {
    const sa = new SchedAvg();
    drive(sa, 0, 400, true);
    assert.ok(sa.loadAvg >= 1000 && sa.loadAvg <= 1024, `load_avg ${sa.loadAvg} after 400 ms`);
    assert.ok(sa.utilAvg >= 1000 && sa.utilAvg <= 1024, `util_avg ${sa.utilAvg}`);
    assert.ok(sa.loadSum <= LOAD_AVG_MAX);
  });

  it('halves in 32 ms off the runqueue (the half-life), and a 25 %-busy task settles near 256', () => {
    const sa = SchedAvg.settled(0, 1024, true);
    drive(sa, 0, 32, false);
    assert.ok(Math.abs(sa.loadAvg - 512) <= 16, `load_avg ${sa.loadAvg} after 32 ms asleep`);
    const quarter = SchedAvg.settled(0, 1024, true);
    let now = 0;
    for (let i = 0; i < 100; i++) {
      now = drive(quarter, now, 1, true);
      now = drive(quarter, now, 3, false);
    }
    assert.ok(Math.abs(quarter.loadAvg - 256) < 40, `load_avg ${quarter.loadAvg} at 25 % busy`);
  });

  it('averages move only when a 1024 µs period ends; load_avg scales with the weight', () => {
    const sa = SchedAvg.settled(0, 1024, true);
    updateLoadAvg(sa, 500_000, 0, 0, false, 1024);
    assert.equal(sa.loadAvg, 1024, 'within the first period nothing is recomputed');
    const heavy = new SchedAvg();
    const light = new SchedAvg();
    for (let t = MS; t <= 100 * MS; t += MS) {
      updateLoadAvg(heavy, t, 1, 1, true, 3072);
      updateLoadAvg(light, t, 1, 1, true, 1024);
    }
    assert.ok(Math.abs(heavy.loadAvg - 3 * light.loadAvg) <= 3);
  });
});
