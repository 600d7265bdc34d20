import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Models from '../src/sim/models';
import type * as ScenarioModule from '../src/sim/scenario';
import type * as Simulate from '../src/sim/simulate';

/** What one run cost (events handled, wall and CPU seconds) and what drove it: PLE exits and directed yields that boosted. */
export interface SimProbeResult {
  events: number;
  wallS: number;
  cpuS: number;
  pleExits: number;
  boosts: number;
}

/** 64 pCPUs, 16 VMs × 16 vCPUs (4:1) with the paper scenario's guests, for 1 s of simulated time. */
export const BIG_HOST: ScenarioModule.ScenarioInput = {
  host: { pcpus: 64, kernel: '5.6.0' },
  vms: [
    {
      name: 'vm',
      count: 16,
      vcpus: 16,
      workload: {
        busy: 0.9,
        burst: '4ms',
        userShare: 0.33,
        locks: { count: 8, perSecond: 20000, hold: '4us' },
        ipis: { perSecond: 2000, targets: 3, handler: '3us' },
      },
    },
  ],
  duration: '1s',
  seed: 1,
};

/** The simulator of the build at `root` (this checkout or an earlier commit built beside it). */
export async function simulatorAt(root: string) {
  const dist = (file: string) => join(root, 'dist', 'src', 'sim', file);
  const { MODELS }: typeof Models = await import(dist('models'));
  const { parseScenario, parseScenarioYaml }: typeof ScenarioModule = await import(dist('scenario'));
  const { buildHost, simulate }: typeof Simulate = await import(dist('simulate'));
  return { MODELS, parseScenario, parseScenarioYaml, buildHost, simulate };
}

/**
 * One model run in its own process, so every row starts with a cold JIT that has seen no other
 * model's classes: `node sim-probe.js ROOT big|paper MODEL` runs the big host or the paper
 * scenario under MODEL with the build at ROOT (this checkout or an earlier commit) and prints
 * what it cost as JSON. 100 ms of the paper scenario first warms the JIT (not measured).
 */
async function probe(root: string, which: string, modelName: string): Promise<void> {
  const { MODELS, parseScenario, parseScenarioYaml, buildHost } = await simulatorAt(root);
  const model = MODELS.find((m) => m.name === modelName);
  if (!model) throw new Error(`no model ${modelName} in ${root}`);
  const paper = parseScenarioYaml(
    readFileSync(join(__dirname, '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8'),
  );
  buildHost(paper, model, 1).run(100_000_000);
  const scenario = which === 'big' ? parseScenario(BIG_HOST) : paper;
  // The paper scenario takes under half a second, where the JIT's tiering still moves a run by
  // a third: it runs three times, the fastest counted.
  let best: SimProbeResult | null = null;
  for (let i = 0; i < (which === 'big' ? 1 : 3); i++) {
    const host = buildHost(scenario, model, scenario.seed);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    host.run(scenario.duration);
    const wallS = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    if (!best || wallS < best.wallS)
      best = {
        events: host.events,
        wallS,
        cpuS: (used.user + used.system) / 1e6,
        pleExits: host.vcpus.reduce((a, v) => a + v.pleExits, 0),
        boosts: host.vcpus.reduce((a, v) => a + v.yieldSuccesses, 0),
      };
  }
  process.stdout.write(JSON.stringify(best));
}

if (require.main === module) void probe(process.argv[2]!, process.argv[3]!, process.argv[4]!);
