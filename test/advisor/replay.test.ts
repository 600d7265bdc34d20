import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import { SimulatedNode } from '../../src/agent/simulated-node/simulated-node';
import type { OutgoingRecord } from '../../src/agent/sinks/sink';
import { main } from '../../src/cli/main';
import { parseScenario, type ScenarioInput } from '../../src/sim/scenario';
import { simulate } from '../../src/sim/simulate';

const scenarios = join(__dirname, '..', '..', '..', 'scenarios');
const raw = (name: string) => parse(readFileSync(join(scenarios, `${name}.yaml`), 'utf8')) as ScenarioInput;

/** Records agent output (JSON lines, as `spinwise agent --stdout` writes) for a scenario the advisor never sees. */
async function record(input: ScenarioInput, node: string, intervals = 5): Promise<string> {
  const sim = new SimulatedNode(parseScenario(input), mkdtempSync(join(tmpdir(), 'spinwise-rec-')));
  await sim.init();
  const records: OutgoingRecord[] = [];
  const sink = {
    write: (r: OutgoingRecord[]) => void records.push(...r),
    flush: async () => {},
    close: async () => {},
    lastDeliveredMs: null,
  };
  const agent = new Agent({
    node,
    root: new HostRoot(sim.dir),
    sink,
    clock: () => 1_700_000_000_000 + Math.round(sim.nowNs / 1e6),
  });
  await agent.start();
  for (let i = 0; i < intervals; i++) {
    await sim.advance(200_000_000);
    await agent.sample();
  }
  await agent.stop();
  const file = join(mkdtempSync(join(tmpdir(), 'spinwise-jsonl-')), `${node}.jsonl`);
  writeFileSync(file, records.map((r) => `${r.value}\n`).join(''));
  return file;
}

async function replay(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['replay', file, '--json'], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('spinwise replay', () => {
  it('predicts what ple-kvm does to a hidden workload within 10 points, byte-identically on a second run', async () => {
    const input = raw('paper-four-8vcpu-vms');
    const file = await record(input, 'paper');
    const first = await replay(file);
    const second = await replay(file);
    assert.equal(first.code, 0);
    assert.equal(first.out, second.out, 'replay is deterministic');
    const node = JSON.parse(first.out).nodes[0];
    assert.equal(node.model, 'stock-5.6');
    assert.equal(node.severity, 'critical');
    const rec = node.recommendations.find((r: { target: string }) => r.target === 'ple-kvm');
    assert.ok(rec, 'a kernel recommendation for ple-kvm');
    // Ground truth: the hidden scenario simulated directly under both kernels.
    const s = parseScenario(input);
    const truth = { ple: 0, useful: 0 };
    for (const seed of [1, 2, 3]) {
      const stock = simulate(s, 'stock-5.6', seed).totals;
      const patched = simulate(s, 'ple-kvm', seed).totals;
      truth.ple += (patched.pleExits / stock.pleExits - 1) / 3;
      truth.useful += (patched.usefulNs / stock.usefulNs - 1) / 3;
    }
    assert.ok(
      Math.abs(rec.predicted.pleExits.change - truth.ple) <= 0.1,
      `PLE exits: predicted ${rec.predicted.pleExits.change}, true ${truth.ple}`,
    );
    assert.ok(
      Math.abs(rec.predicted.usefulNs.change - truth.useful) <= 0.1,
      `useful: predicted ${rec.predicted.usefulNs.change}, true ${truth.useful}`,
    );
  });

  it('gives an undercommitted node no kernel recommendation', async () => {
    const { out, code } = await replay(await record(raw('undercommitted'), 'small', 3));
    assert.equal(code, 0);
    const node = JSON.parse(out).nodes[0];
    assert.ok(node.oversubscription <= 1);
    assert.deepEqual(
      node.recommendations.filter((r: { kind: string }) => r.kind === 'kernel'),
      [],
    );
  });

  it('reports invalid lines by number, absorbs duplicates, and refuses a file with nothing to analyse', async () => {
    const file = await record(raw('paper-four-8vcpu-vms'), 'paper', 2);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const messy = join(mkdtempSync(join(tmpdir(), 'spinwise-messy-')), 'messy.jsonl');
    writeFileSync(
      messy,
      [
        lines[0],
        '{"schema":"spinwise.sample.v1","node":"paper","seq":"x"}',
        lines[1],
        lines[1],
        lines[2],
        '',
      ].join('\n'),
    );
    const { code, out, err } = await replay(messy);
    assert.equal(code, 0);
    assert.match(
      err,
      /messy\.jsonl:2: skipped: sample \(spinwise\.samples\.v1\): seq: got "x", expected number/,
    );
    assert.equal(JSON.parse(out).nodes[0].samples, 2, 'the duplicated sample counted once');
    const empty = join(mkdtempSync(join(tmpdir(), 'spinwise-empty-')), 'empty.jsonl');
    writeFileSync(empty, 'not json\n');
    const bad = await replay(empty);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /no node with an inventory and samples/);
  });
});
