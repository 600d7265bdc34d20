import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type * as ScenarioModule from '../src/sim/scenario';
import { baselineBuild } from './baseline-build';
import { BIG_HOST, simulatorAt } from './sim-probe';
import { printTable } from './table';

const REPO = join(__dirname, '..', '..');
const SCENARIOS = join(REPO, 'scenarios');
const SEEDS = [1, 7];

/**
 * The inputs: every scenario file of scenarios/ (the kernel catalogue is not one), the paper's
 * with a CPU limit per VM (CFS bandwidth, which no scenario file sets), and 100 ms of the sim
 * bench's big host.
 */
function inputs(): [string, ScenarioModule.ScenarioInput][] {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml') && f !== 'kernels.yaml');
  const read = (f: string) =>
    parseYaml(readFileSync(join(SCENARIOS, f), 'utf8')) as ScenarioModule.ScenarioInput;
  const paper = read('paper-four-8vcpu-vms.yaml');
  const limited = {
    ...paper,
    host: { ...paper.host, cgroups: 'per-vm' as const },
    vms: paper.vms.map((vm) => ({ ...vm, cpu: { limit: 1.5 } })),
    duration: '300ms',
  };
  return [
    ...files.sort().map((f): [string, ScenarioModule.ScenarioInput] => [f, read(f)]),
    ['paper, 1.5 CPUs a VM (cpu.max)', limited],
    ['big host, 100 ms', { ...BIG_HOST, duration: '100ms' }],
  ];
}

/**
 * `npm run bench -- sim-same` (run only when named): whether this checkout's simulator gives the
 * same results as another commit's, run for run — every input above under every model of both
 * builds and two seeds, `simulate --json`'s document compared byte for byte. An engine change
 * that keeps what happens shows no differing run. SPINWISE_BENCH_SAME_BASELINE names the commit
 * (default HEAD: the change not yet committed).
 */
export async function simSameBench(): Promise<void> {
  const ref = process.env.SPINWISE_BENCH_SAME_BASELINE ?? 'HEAD';
  const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  const baseline = baselineBuild(commit);
  if ('reason' in baseline) throw new Error(baseline.reason);
  const [before, now] = [await simulatorAt(baseline.dir), await simulatorAt(REPO)];
  const models = now.MODELS.map((m) => m.name).filter((m) => before.MODELS.some((b) => b.name === m));
  const rows: (string | number)[][] = [];
  for (const [name, input] of inputs()) {
    const differing: string[] = [];
    for (const model of models)
      for (const seed of SEEDS) {
        const run = (sim: typeof now) => JSON.stringify(sim.simulate(sim.parseScenario(input), model, seed));
        if (run(before) !== run(now)) differing.push(`${model} seed ${seed}`);
      }
    const runs = models.length * SEEDS.length;
    rows.push([
      name,
      String(runs),
      String(runs - differing.length),
      differing.length === runs ? 'every run' : differing.join(', ') || '–',
    ]);
  }
  printTable(
    `simulate --json, this checkout against ${commit} (${ref}): ${models.length} models × seeds ${SEEDS.join(', ')} per input`,
    ['input', 'runs', 'byte-identical', 'differing'],
    rows,
  );
}
