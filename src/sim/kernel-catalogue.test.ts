import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCatalogue, upgradesFor } from './kernel-catalogue';

const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'spinwise-kernels-')), 'kernels.yaml');
  writeFileSync(f, text);
  return f;
};

describe('kernel catalogue', () => {
  const cat = loadCatalogue();
  const byId = (id: string) => cat.kernels.find((k) => k.id === id)!;

  it('places each kernel by its version, flagging distribution kernels placed by their base', () => {
    assert.match(cat.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(byId('lts-6.18').model, 'stock-6.19');
    assert.equal(byId('lts-6.12').model, 'stock-6.12+base-slice-0.70+yield-forfeit');
    assert.equal(byId('lts-6.18').assumed, false);
    assert.equal(
      byId('rhel-10').model,
      'stock-6.6+halt-poll-shrink+delay-dequeue',
      '6.12.0: the base (with 6.11’s shrink and 6.12’s delayed dequeue), before the 6.12.13 backports',
    );
    assert.equal(byId('rhel-10').assumed, true);
    assert.equal(byId('ubuntu-24.04').model, 'stock-6.6');
  });

  it('offers a node its own line’s newest point, its distribution’s next and the newest LTS — only where the model changes', () => {
    const ubuntu = upgradesFor(cat, '6.8.0-45-generic', 'stock-6.6');
    assert.deepEqual(
      ubuntu.map((u) => [u.model, u.why]),
      [
        ['stock-6.14+base-slice-0.70+slice-protection', ['distribution next']],
        ['stock-6.19', ['newest LTS']],
      ],
      'its own line (6.8) models as it runs now: not a candidate',
    );
    assert.match(ubuntu[0]!.label, /linux-generic-hwe-24\.04/);
    const lts = upgradesFor(cat, '6.12.40', 'stock-6.12+base-slice-0.70');
    assert.deepEqual(
      lts.map((u) => [u.model, u.why]),
      [
        ['stock-6.12+base-slice-0.70+yield-forfeit', ['own line']],
        ['stock-6.19', ['newest LTS']],
      ],
    );
    assert.deepEqual(upgradesFor(cat, '6.18.36', 'stock-6.19'), [], 'already the newest');
    assert.deepEqual(
      upgradesFor(cat, '5.14.0-570.el9.x86_64', 'stock-5.13').map((u) => u.why),
      [['distribution next'], ['newest LTS']],
    );
  });

  it('a bad catalogue names the key', () => {
    const good = `date: '2026-12-05'\nkernels:\n  - { id: a, title: A, release: '6.12.1', match: '^6\\.12\\.', install: x, evidence: y }\n`;
    assert.equal(loadCatalogue(file(good)).kernels.length, 1);
    assert.throws(() => loadCatalogue(file(good.replace("'2026-12-05'", 'today'))), /date: expected a date/);
    assert.throws(() => loadCatalogue(file(`${good}colour: blue\n`)), /unknown key "colour"/);
    assert.throws(
      () => loadCatalogue(file(good.replace('evidence: y', 'evidence: y, next: b'))),
      /kernels\[0\]\.next: "b" is not a catalogue id/,
    );
    assert.throws(
      () => loadCatalogue(file(good.replace("'^6\\.12\\.'", "'^5'"))),
      /kernels\[0\]\.match: does not match its own release/,
    );
    assert.throws(
      () => loadCatalogue(file(good.replace("'^6\\.12\\.'", "'(6'"))),
      /kernels\[0\]\.match: not a regular expression/,
    );
  });
});
