import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { modelByName } from '../models';
import { parseScenarioYaml, type Scenario } from '../scenario';
import { buildHost, summarize } from '../simulate';

const scenario = (file: string): Scenario => ({
  ...parseScenarioYaml(
    readFileSync(join(__dirname, '..', '..', '..', '..', 'scenarios', file), 'utf8'),
    file,
  ),
  duration: 150_000_000,
});

/** A run read every 10 ms (as an agent's simulated node reads it), with sections run ahead or not. */
function run(s: Scenario, model: string, ahead: boolean) {
  const host = buildHost(s, modelByName(model), 3);
  host.sectionsAhead = ahead;
  host.start();
  const reads: number[][] = [];
  for (let t = 10_000_000; t < s.duration; t += 10_000_000) {
    host.advanceTo(t);
    reads.push(host.vcpus.flatMap((v) => [v.criticalSections, v.usefulNs, v.spinNs, v.pleExits, v.lock]));
  }
  host.advanceTo(s.duration);
  host.finish();
  const { events, ...result } = summarize(host, modelByName(model), 3);
  return { events, result, reads };
}

describe('critical sections run ahead', () => {
  for (const file of [
    'pinned-1to1.yaml',
    'undercommitted.yaml',
    'paper-four-8vcpu-vms.yaml',
    'kubevirt-node.yaml',
  ])
    for (const model of ['stock-5.6', 'ple-kvm', 'stock-6.12'])
      it(`${file}, ${model}: the same run, read mid-run or at its end, with fewer events`, () => {
        const s = scenario(file);
        const ahead = run(s, model, true);
        const eager = run(s, model, false);
        assert.deepEqual(ahead.reads, eager.reads);
        assert.deepEqual(ahead.result, eager.result);
        assert.ok(ahead.events < eager.events, `${ahead.events} events, ${eager.events} without`);
      });
});
