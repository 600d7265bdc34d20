import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featuresOf } from './kernel-features';
import { modelByName, modelFor, modelForKernel } from './models';

describe('kernel release → model, by the features the release carries', () => {
  it('places mainline releases, stable backports and distribution kernels', () => {
    const cases: [string, string][] = [
      ['5.4.0-150-generic', 'stock-5.6'],
      ['5.6.0', 'stock-5.6'],
      ['5.15.0-91-generic', 'stock-5.13'],
      ['6.1.0-27-amd64', 'stock-5.13'],
      ['6.8.0-45-generic', 'stock-6.6'],
      // Delayed dequeue from 6.12.0; PICK_BUDDY reached 6.12.y at 6.12.13 and 6.13.y at 6.13.2.
      ['6.12.12', 'stock-6.6+halt-poll-shrink+delay-dequeue'],
      ['6.12.13', 'stock-6.12'],
      ['6.12.13-200.fc41.x86_64', 'stock-6.12'],
      // The 0.70 ms base slice reached 6.12.y at 6.12.31, yield forfeit at 6.12.63 and 6.6.y at 6.6.120.
      ['6.12.31', 'stock-6.12+base-slice-0.70'],
      ['6.12.63', 'stock-6.12+base-slice-0.70+yield-forfeit'],
      ['6.6.119', 'stock-6.6'],
      ['6.6.120', 'stock-6.6+yield-forfeit'],
      ['6.13.1', 'stock-6.13'],
      ['6.13.2', 'stock-6.14'],
      ['6.14.5', 'stock-6.14'],
      // The 0.70 ms base slice from 6.15; yield forfeit from 6.17.13 and 6.18.2; task-based
      // throttling from 6.18; the last_boosted_vcpu fix from 6.18.3.
      ['6.17.0', 'stock-6.14+base-slice-0.70+slice-protection'],
      ['6.17.13', 'stock-6.14+base-slice-0.70+slice-protection+yield-forfeit'],
      ['6.18.2', 'stock-6.14+base-slice-0.70+slice-protection+task-based-throttle+yield-forfeit'],
      ['6.18.3', 'stock-6.19'],
      ['6.19.1', 'stock-6.19'],
      ['7.0.0', 'stock-6.19'],
    ];
    for (const [release, model] of cases) assert.equal(modelForKernel(release).model.name, model, release);
  });

  it('says why: each feature with its commit and backport, and the assumptions made', () => {
    const { reasons, features } = modelForKernel('6.12.13');
    assert.deepEqual(features, [
      'ready-boost',
      'queue-head-boost',
      'pi-boost',
      'undercommit-bailout',
      'eevdf',
      'halt-poll-shrink',
      'delay-dequeue',
      'pick-buddy',
    ]);
    assert.ok(!features.includes('pv-wait-early'), 'a guest feature is never read from the host release');
    assert.ok(!features.includes('semantics-aware'), 'a series not merged is in no release');
    assert.ok(reasons.some((r) => /^pick-buddy \(2a77e4be12cb\): backported to 6\.12\.13/.test(r)));
    assert.ok(reasons.some((r) => /^delay-dequeue \(152e11f6df29\): mainline since 6\.12/.test(r)));
    assert.ok(
      modelForKernel('6.17.0').reasons.some((r) =>
        /^slice-protection \(74eec63661d4\): mainline since 6\.17/.test(r),
      ),
    );
    assert.ok(
      reasons.some((r) =>
        /^yield-forfeit \(79104becf42b\): not in 6\.12\.13; backported from 6\.12\.63/.test(r),
      ),
    );
    const rhel = modelForKernel('5.14.0-427.el9');
    assert.equal(rhel.model.name, 'stock-5.13');
    assert.match(rhel.reasons[0]!, /distribution kernel .* mapped by its base 5\.14.*assumption/);
    assert.match(
      modelForKernel('6.12.13-200.fc41.x86_64').reasons[0]!,
      /suffix "-200\.fc41\.x86_64" ignored/,
    );
    assert.match(modelForKernel('garbage').reason, /not a kernel release/);
    assert.equal(featuresOf('garbage'), null);
  });

  it('composes a stock model with modelled features by name, and refuses unknown ones', () => {
    const m = modelByName('stock-6.14+yield-forfeit');
    assert.deepEqual(m.features, [
      'ready-boost',
      'queue-head-boost',
      'pi-boost',
      'undercommit-bailout',
      'halt-poll-shrink',
      'eevdf',
      'delay-dequeue',
      'on-spin-single-loop',
      'pick-buddy',
      'yield-forfeit',
    ]);
    assert.equal(m.directedYield().name, 'kvm-6.13', 'the last_boosted_vcpu bug stays');
    assert.throws(() => modelByName('stock-6.14+vprot'), /unknown model/, 'no such feature');
    assert.throws(() => modelByName('ple-kvm+yield-forfeit'), /unknown model/);
  });

  it('adds the semantics-aware series to an EEVDF model only, with its own on_spin', () => {
    const m = modelByName('stock-6.14+base-slice-0.70+semantics-aware');
    assert.equal(m.directedYield().name, 'kvm-semantics-aware-v1');
    assert.equal(modelByName('stock-6.14').directedYield().name, 'kvm-6.13');
    assert.throws(() => modelByName('stock-5.6+semantics-aware').scheduler(4), /EEVDF kernels/);
  });

  it('an operator’s model for a node wins over its kernel’s; an unknown one is ignored and said so', () => {
    assert.equal(modelFor('6.8.0-45-generic', 'stock-6.12').model.name, 'stock-6.12');
    assert.match(
      modelFor('6.8.0-45-generic', 'stock-6.12').reason,
      /set by the operator; .* maps to stock-6\.6/,
    );
    const unknown = modelFor('6.8.0-45-generic', 'stock-9.9');
    assert.equal(unknown.model.name, 'stock-6.6');
    assert.match(unknown.reason, /unknown model "stock-9\.9" set for this node, ignored/);
  });
});
