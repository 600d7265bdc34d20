import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseScenario, parseScenarioYaml, type ScenarioInput } from '../../src/sim/scenario';
import { modelByName, modelWithFeatures, type ModelDefinition } from '../../src/sim/models';
import { buildHost, simulate } from '../../src/sim/simulate';

const scenarioPath = (name: string) => join(__dirname, '..', '..', '..', 'scenarios', `${name}.yaml`);
const load = (name: string) => parseScenarioYaml(readFileSync(scenarioPath(name), 'utf8'), name);
const raw = (name: string) => parse(readFileSync(scenarioPath(name), 'utf8')) as ScenarioInput;

/** Behaviour that follows from the mechanisms; nothing here is coded into the models. */
describe('emergent behaviour', () => {
  it('with vCPUs ≤ pCPUs and halt polling off every model agrees within noise', () => {
    // Halt polling is the one mechanism that acts under-committed and differs by release (6.11's
    // shrink, next test): off, the directed-yield and scheduler models have nothing to act on.
    const u = raw('undercommitted');
    const s = parseScenario({ ...u, host: { ...u.host, haltPollNs: 0 } });
    const runs = ['stock-5.6', 'ple-kvm', 'stock-6.6', 'stock-6.14', 'stock-6.19'].map(
      (m) => simulate(s, m).totals,
    );
    for (const r of runs.slice(1)) {
      assert.ok(Math.abs(r.usefulNs / runs[0]!.usefulNs - 1) < 0.02, 'useful time within 2 %');
      assert.ok(
        Math.abs(r.pleExits - runs[0]!.pleExits) <= 0.05 * runs[0]!.pleExits + 10,
        'PLE exits within 5 %',
      );
    }
  });

  it('from 6.11 halt polling keeps half its window after a long halt: more polling, IPI receivers answer sooner, fewer PLE exits', () => {
    const s = load('undercommitted');
    const run = (model: ModelDefinition) => {
      const h = buildHost(s, model, s.seed);
      h.run(s.duration);
      return {
        ple: h.vcpus.reduce((a, v) => a + v.pleExits, 0),
        pollNs: h.vcpus.reduce((a, v) => a + v.pollNs, 0),
      };
    };
    const shrink = run(modelByName('stock-6.14'));
    const reset = run(modelWithFeatures(modelByName('stock-6.14'), [], ['halt-poll-shrink']));
    assert.ok(shrink.pollNs > 1.5 * reset.pollNs, `polled ${shrink.pollNs} ns against ${reset.pollNs}`);
    assert.ok(shrink.ple < reset.ple, `PLE exits ${shrink.ple} against ${reset.ple}`);
  });

  it('stock PLE exits and spin share rise with the oversubscription ratio', () => {
    const base = raw('paper-four-8vcpu-vms');
    const at = (count: number) => {
      const s = parseScenario({ ...base, duration: '300ms', vms: [{ ...base.vms[0]!, count }] });
      const t = simulate(s, 'stock-5.6').totals;
      return { ple: t.pleExits, spinShare: t.spinNs / t.runNs };
    };
    const [r1, r2, r4] = [at(1), at(2), at(4)];
    assert.ok(r1.ple < r2.ple && r2.ple < r4.ple, `PLE exits 1:1 ${r1.ple} < 2:1 ${r2.ple} < 4:1 ${r4.ple}`);
    assert.ok(r2.spinShare > 5 * r1.spinShare, `spin share 1:1 ${r1.spinShare} ≪ 2:1 ${r2.spinShare}`);
    // Not "as high at 4:1 as at 2:1": over 1 s and seeds 1–3 the share is about 0.30 at 2:1 and
    // 0.23 at 4:1, with or without lazy-TLB shootdowns; such a bound held for one 300 ms sample only.
    assert.ok(r4.spinShare > 5 * r1.spinShare, `spin share 1:1 ${r1.spinShare} ≪ 4:1 ${r4.spinShare}`);
  });

  it('on the paper scenario ple-kvm cuts PLE exits and spin time substantially and keeps fairness', () => {
    const s = load('paper-four-8vcpu-vms');
    const stock = simulate(s, 'stock-5.6').totals;
    const patched = simulate(s, 'ple-kvm').totals;
    assert.ok(patched.pleExits < 0.5 * stock.pleExits, `PLE exits ${stock.pleExits} → ${patched.pleExits}`);
    assert.ok(patched.spinNs < 0.5 * stock.spinNs, `spin ${stock.spinNs} → ${patched.spinNs}`);
    assert.ok(patched.usefulNs > stock.usefulNs, 'more useful guest time');
    assert.ok(patched.overboosts < stock.overboosts && patched.lostOpportunities < stock.lostOpportunities);
    assert.ok(
      stock.jainFairness - patched.jainFairness <= 0.02,
      `fairness ${stock.jainFairness} → ${patched.jainFairness}`,
    );
  });
});

describe('PLE tuning and PV spinlocks', () => {
  it('on a 1:1-pinned host PLE exits are pure overhead: disabling PLE removes them and loses no useful time', () => {
    const base = raw('pinned-1to1');
    const on = simulate(parseScenario(base), 'stock-5.13').totals;
    const off = simulate(
      parseScenario({ ...base, host: { ...base.host, ple: { enabled: false } } }),
      'stock-5.13',
    ).totals;
    assert.ok(on.pleExits > 0);
    assert.equal(off.pleExits, 0);
    assert.equal(on.yieldSuccesses, 0, 'nobody to yield to when every vCPU has its own pCPU');
    assert.ok(off.usefulNs >= on.usefulNs * 0.999, `useful ${on.usefulNs} → ${off.usefulNs}`);
  });

  it('PV spinlocks halt waiters and the unlocker kicks them with a directed yield', () => {
    const s = load('mixed-fleet-node');
    const r = simulate(s, 'stock-6.6');
    const batch = r.vcpus.filter((v) => v.vm === 'batch');
    const others = r.vcpus.filter((v) => v.vm !== 'batch');
    assert.ok(batch.reduce((a, v) => a + v.pvYieldAttempted, 0) > 0, 'kicks from the PV-spinlock VM');
    assert.equal(
      others.reduce((a, v) => a + v.pvYieldAttempted, 0),
      0,
      'no PV yields without PV spinlocks',
    );
  });
});
