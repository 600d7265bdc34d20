import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';

const paper = join(__dirname, '..', '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

function scenarioFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'spinwise-cli-')), 'scenario.yaml');
  writeFileSync(file, text);
  return file;
}

describe('spinwise simulate / compare', () => {
  it('simulate --json is byte-identical for the same scenario and seed, and differs for another seed', async () => {
    const a = await run('simulate', paper, '--json', '--seed', '5');
    const b = await run('simulate', paper, '--json', '--seed', '5');
    const c = await run('simulate', paper, '--json', '--seed', '6');
    assert.equal(a.code, 0);
    assert.equal(a.out, b.out);
    assert.notEqual(a.out, c.out);
    const result = JSON.parse(a.out);
    assert.equal(result.model, 'stock-5.6');
    assert.equal(result.vms.length, 4);
    assert.equal(result.vcpus.length, 32);
  });

  it('compare --json reports every model against the first, with intervals for several seeds', async () => {
    const { code, out } = await run(
      'compare',
      paper,
      '--models',
      'stock-5.6,ple-kvm,stock-6.19',
      '--seeds',
      '2',
      '--json',
    );
    assert.equal(code, 0);
    const json = JSON.parse(out);
    assert.deepEqual(json.seeds, [42, 43]);
    assert.deepEqual(
      json.models.map((m: { name: string }) => m.name),
      ['stock-5.6', 'ple-kvm', 'stock-6.19'],
    );
    for (const key of [
      'pleExits',
      'spinNs',
      'usefulNs',
      'work',
      'yieldAttempts',
      'yieldSuccesses',
      'boostsHonoured',
      'overboosts',
      'lostOpportunities',
      'jainFairness',
    ])
      assert.equal(typeof json.models[1].totals[key], 'number', key);
    assert.ok(json.models[0].ci95.pleExits > 0, 'two seeds give a non-zero interval');
    const rel = json.relative[1];
    assert.equal(rel.model, 'ple-kvm');
    assert.ok(
      Math.abs(rel.pleExits - (json.models[1].totals.pleExits / json.models[0].totals.pleExits - 1)) < 1e-12,
    );
    assert.equal(json.relative[0].pleExits, 0);
  });

  it('prints human tables by default', async () => {
    const { code, out } = await run('compare', paper);
    assert.equal(code, 0);
    assert.match(out, /stock-5\.6 +ple-kvm +vs first/);
    assert.match(out, /PLE exits .* -\d+\.\d%/);
  });

  it('rejects a bad scenario with exit 2 and names each key and what was expected', async () => {
    const file = scenarioFile(
      'host:\n  pcpus: 0\n  turbo: true\nvms:\n  - name: vm\n    vcpus: two\nduration: soon\n',
    );
    const { code, err, out } = await run('simulate', file);
    assert.equal(code, 2);
    assert.equal(out, '');
    assert.match(err, /host\.pcpus: expected ≥ 1/);
    assert.match(err, /host: unknown key "turbo"/);
    assert.match(err, /vms\[0\]\.vcpus: expected number, got string/);
    assert.match(err, /duration: /);
  });

  it('says what to fix for a missing file, an unknown model and an unknown flag', async () => {
    assert.match((await run('simulate', '/nonexistent.yaml')).err, /no such file: \/nonexistent\.yaml/);
    const unknown = await run('compare', paper, '--models', 'stock-5.6,linux-9');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown model "linux-9"; known: stock-5\.6, ple-kvm/);
    const flag = await run('simulate', paper, '--fast');
    assert.equal(flag.code, 2);
    assert.match(flag.err, /--fast/);
  });
});

describe('spinwise models', () => {
  it('lists the models and the kernel features with their commits', async () => {
    const { code, out } = await run('models', '--json');
    assert.equal(code, 0);
    const doc = JSON.parse(out) as {
      models: { name: string }[];
      features: { id: string; stable: string[]; mainline: string }[];
    };
    assert.ok(doc.models.some((m) => m.name === 'stock-6.12'));
    assert.deepEqual(doc.features.find((f) => f.id === 'pick-buddy')!.stable, ['6.12.13', '6.13.2']);
    const mainline = (id: string) => doc.features.find((f) => f.id === id)!.mainline;
    assert.equal(mainline('semantics-aware'), 'patch, not merged');
    assert.equal(mainline('pv-wait-early'), 'guest 4.11, reverted 5.4');
  });

  it('--catalogue lists the kernels an operator can install, each placed', async () => {
    const { code, out } = await run('models', '--catalogue', '--json');
    assert.equal(code, 0);
    const doc = JSON.parse(out) as {
      date: string;
      kernels: { id: string; model: string; assumed: boolean }[];
    };
    assert.match(doc.date, /^\d{4}-\d{2}-\d{2}$/);
    const hwe = doc.kernels.find((k) => k.id === 'ubuntu-24.04-hwe')!;
    assert.deepEqual([hwe.model, hwe.assumed], ['stock-6.14+base-slice-0.70+slice-protection', true]);
    const text = await run('models', '--catalogue');
    assert.match(text.out, /^Kernels an operator can install, as of \d{4}-\d{2}-\d{2}/);
  });

  it('--kernel places one release: model, features and reasons', async () => {
    const { code, out } = await run('models', '--kernel', '6.17.13', '--json');
    assert.equal(code, 0);
    const doc = JSON.parse(out);
    assert.deepEqual(Object.keys(doc), ['kernel', 'model', 'features', 'reasons']);
    assert.equal(doc.model, 'stock-6.14+base-slice-0.70+slice-protection+yield-forfeit');
    assert.ok(doc.features.includes('yield-forfeit') && !doc.features.includes('last-boosted-fix'));
    const text = await run('models', '--kernel', '5.14.0-427.el9');
    assert.match(text.out, /^5\.14\.0-427\.el9: stock-5\.13\n/);
  });

  it('a reader that closes the pipe early (`spinwise models | head -1`) ends it quietly, status 0', async () => {
    const child = spawn(process.execPath, [join(__dirname, '../../../bin/spinwise.js'), 'models'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const [status] = (await once(child, 'exit')) as [number | null];
    assert.equal(err, '');
    assert.equal(status, 0);
  });

  it('a scenario may name its model (host.model); an unknown one names the key', async () => {
    const base =
      'host:\n  pcpus: 2\n  kernel: 6.8.0\n  MODEL\nvms:\n  - name: a\n    vcpus: 2\nduration: 20ms\n';
    const ok = await run(
      'simulate',
      scenarioFile(base.replace('MODEL', 'model: stock-6.12')),
      '--json',
      '-q',
    );
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).model, 'stock-6.12');
    const bad = await run('simulate', scenarioFile(base.replace('MODEL', 'model: stock-9')), '-q');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /host\.model: expected a model spinwise knows/);
  });
});
