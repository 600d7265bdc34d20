import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { analyzeNode } from '../src/advisor/domain/analyze-node';
import { recordSimulatedNode } from '../src/agent/simulated-node/record-node';
import { parseScenario, type ScenarioInput } from '../src/sim/scenario';
import { simulate } from '../src/sim/simulate';
import { printTable } from './table';

/** Hidden workloads: the advisor sees only the agent's telemetry of them. */
const HIDDEN: [string, ScenarioInput][] = [
  [
    'paper (4 × 8 vCPUs on 8 pCPUs)',
    parse(
      readFileSync(join(__dirname, '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8'),
    ) as ScenarioInput,
  ],
  [
    'lock-heavier (3 × 8 vCPUs on 12 pCPUs)',
    {
      host: { pcpus: 12, kernel: '5.6.0' },
      vms: [
        {
          name: 'db',
          count: 3,
          vcpus: 8,
          workload: {
            busy: 0.8,
            burst: '2ms',
            userShare: 0.5,
            locks: { count: 4, perSecond: 8000, hold: '10us' },
            ipis: { perSecond: 600, targets: 2, handler: '2us' },
          },
        },
      ],
      duration: '1s',
      seed: 5,
    },
  ],
];

/** Prediction accuracy on hidden ground truth, and the time one node's analysis takes. */
export async function advisorBench(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const [name, input] of HIDDEN) {
    const scenario = parseScenario(input);
    {
      const { inventory, samples } = await recordSimulatedNode(scenario, 'hidden', {
        intervals: 5,
        intervalNs: 200_000_000,
      });
      const start = process.hrtime.bigint();
      const analysis = analyzeNode(inventory, samples);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const predicted = analysis.recommendations.find((r) => r.target === 'ple-kvm')?.predicted;
      let truePle = 0;
      let trueUseful = 0;
      for (const seed of [1, 2, 3]) {
        const a = simulate(scenario, undefined, seed).totals;
        const b = simulate(scenario, 'ple-kvm', seed).totals;
        truePle += (b.pleExits / a.pleExits - 1) / 3;
        trueUseful += (b.usefulNs / a.usefulNs - 1) / 3;
      }
      const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);
      rows.push([
        name,
        pct(predicted?.pleExits.change),
        pct(truePle),
        pct(predicted?.usefulNs.change),
        pct(trueUseful),
        `${(analysis.residual * 100).toFixed(1)}%`,
        ms,
      ]);
    }
  }
  printTable(
    'advisor: predicted vs true change under ple-kvm on hidden workloads (telemetry from the agent on a simulated node)',
    ['hidden workload', 'PLE pred', 'PLE true', 'useful pred', 'useful true', 'fit residual', 'analysis ms'],
    rows,
  );
}
