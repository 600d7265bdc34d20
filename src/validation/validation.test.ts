import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FeatureId } from '../sim/kernel-features';
import { modelByName, modelWithFeatures } from '../sim/models';
import { readCase, publishedChangeOf } from './case-file';
import { SCENARIOS_DIR } from './validate';
import { withinBand } from './verdict';
import { loadWorkloads } from './workload-library';

const library = loadWorkloads(join(SCENARIOS_DIR, 'workloads'));

/** A case file written from `text` (YAML). */
function caseFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'spinwise-case-')), 'case.yaml');
  writeFileSync(file, text);
  return file;
}

const GOOD = `
name: a case
source: a commit message
host: { pcpus: 8 }
vms: [{ name: vm, count: 2, vcpus: 8, workload: { use: ebizzy-m } }]
duration: 100ms
baseline: { model: stock-5.6, features: { remove: [ready-boost] } }
treatment: { model: stock-5.6 }
metric: useful
published: { baseline: 100, treatment: 150 }
`;

describe('validation cases', () => {
  it('reads a case: the library workload, the two configurations, the published change', () => {
    const c = readCase(caseFile(GOOD), library);
    assert.equal(c.publishedChange, 0.5);
    assert.deepEqual(c.baseline.scenario.vms[0]!.workload.ipis.kind, 'tlb-shootdown');
    assert.equal(c.baseline.model.name, 'stock-5.6-ready-boost');
    assert.ok(!c.baseline.model.features.includes('ready-boost'));
    assert.ok(c.treatment.model.features.includes('ready-boost'));
  });

  it('a workload named from the library cannot be tuned by a case; the error names the key', () => {
    const file = caseFile(GOOD.replace('{ use: ebizzy-m }', '{ use: ebizzy-m, busy: 0.5 }'));
    assert.throws(() => readCase(file, library), /vms\[0\]\.workload: unknown key "busy"/);
    const unknown = caseFile(GOOD.replace('ebizzy-m', 'ebizzy-x'));
    assert.throws(() => readCase(unknown, library), /vms\[0\]\.workload\.use: unknown workload "ebizzy-x"/);
    const args = caseFile(GOOD.replace('{ use: ebizzy-m }', '{ use: stress-cpu }'));
    assert.throws(
      () => readCase(args, library),
      /vms\[0\]\.workload\.args: "stress-cpu" needs args: \{ threads: N \}/,
    );
  });

  it('every problem names the file and the key', () => {
    const cases: [string, RegExp][] = [
      [GOOD.replace('metric: useful', 'metric: speed'), /metric: expected .*useful/],
      [GOOD.replace('source: a commit message\n', ''), /source: expected string, got undefined/],
      [`${GOOD}colour: blue\n`, /unknown key "colour"/],
      [
        GOOD.replace('{ model: stock-5.6 }', '{ model: stock-5.6, kernel: 6.8.0 }'),
        /treatment: expected either "model" or "kernel"/,
      ],
      [GOOD.replace('remove: [ready-boost]', 'remove: [turbo]'), /baseline\.features\.remove\[0\]: expected/],
      [GOOD.replace('pcpus: 8', 'pcpus: 0'), /baseline: host\.pcpus: expected ≥ 1/],
      [`${GOOD}measure: { vms: [other] }\n`, /measure\.vms\[0\]: "other" is not a VM of the case/],
      [
        GOOD.replace('{ baseline: 100, treatment: 150 }', '{ baseline: 100 }'),
        /published: expected either \{ baseline, treatment \} or \{ change \}/,
      ],
    ];
    for (const [text, expected] of cases) {
      const file = caseFile(text);
      assert.throws(
        () => readCase(file, library),
        (err: Error) => err.message.startsWith(file) && expected.test(err.message),
        String(expected),
      );
    }
  });

  it('features are added to and removed from a model; a non-stock model only loses or gains runtime ones', () => {
    const without = modelWithFeatures(modelByName('stock-6.6'), [], ['ready-boost']);
    assert.deepEqual(without.features, ['queue-head-boost', 'pi-boost', 'undercommit-bailout', 'eevdf']);
    const added = modelWithFeatures(modelByName('stock-5.6'), ['pi-boost'], []);
    assert.equal(added.directedYield().name, modelByName('stock-5.13').directedYield().name);
    assert.equal(modelWithFeatures(modelByName('ple-kvm'), [], ['ready-boost']).name, 'ple-kvm-ready-boost');
    assert.throws(
      () => modelWithFeatures(modelByName('ple-kvm'), ['eevdf'], []),
      /only ready-boost, queue-head-boost, undercommit-bailout, halt-poll-shrink, pv-wait-early/,
    );
    const guest = modelWithFeatures(modelByName('ple-kvm'), ['pv-wait-early'], ['queue-head-boost']);
    assert.deepEqual(guest.features, ['ready-boost', 'pv-wait-early']);
    // A kernel's composed model gains the series: the debooster and the IPI-aware on_spin.
    const series = modelWithFeatures(modelByName('stock-6.14+base-slice-0.70'), ['semantics-aware'], []);
    assert.equal(series.name, 'stock-6.14+base-slice-0.70+semantics-aware');
    assert.equal(series.directedYield().name, 'kvm-semantics-aware-v1');
    assert.throws(
      () => modelWithFeatures(modelByName('stock-5.6'), ['vprot' as FeatureId], []),
      /feature "vprot" is not modelled/,
    );
  });

  it('the band: the sign, then a factor of two from 20 %, ±10 points below it', () => {
    assert.equal(withinBand(1.8, 0.9), true);
    assert.equal(withinBand(1.8, 3.6), true);
    assert.equal(withinBand(1.8, 0.89), false);
    assert.equal(withinBand(1.8, 3.7), false);
    assert.equal(withinBand(-0.876, -0.5), true);
    assert.equal(withinBand(-0.876, 0.1), false);
    assert.equal(withinBand(0.09, 0.19), true);
    assert.equal(withinBand(0.09, 0.2), false);
    assert.equal(withinBand(0.04, -0.01), false, 'the sign disagrees');
    assert.equal(withinBand(0.04, 0.0), false);
  });

  it('a published time (lower is better) is a throughput change', () => {
    assert.ok(Math.abs(publishedChangeOf({ baseline: 120, treatment: 100 }, true) - 0.2) < 1e-12);
    assert.ok(Math.abs(publishedChangeOf({ change: -0.2 }, true) - 0.25) < 1e-12);
    assert.equal(publishedChangeOf({ baseline: 2800, treatment: 8000 }, false), 8000 / 2800 - 1);
  });

  it('every case and workload in the repository reads cleanly', async () => {
    const { caseFiles } = await import('./validate');
    const files = caseFiles([]);
    assert.ok(files.length >= 14, `${files.length} cases`);
    for (const file of files) readCase(file, library);
    assert.deepEqual(
      [...library.keys()],
      ['dbench', 'ebizzy-m', 'hackbench', 'kernbench', 'parsec-dedup', 'parsec-vips', 'pbzip2', 'stress-cpu'],
    );
  });
});
