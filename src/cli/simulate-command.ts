import { parseArgs } from 'node:util';
import { simulate } from '../sim/simulate';
import type { CliIo } from './cli-error';
import { parseSeed, readScenario } from './scenario-file';
import { int, ms, textTable } from './text-table';

/** `spinwise simulate <scenario.yaml> [--model NAME] [--seed N] [--json]` */
export async function simulateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const scenario = readScenario(positionals[0]);
  const result = simulate(scenario, values.model, parseSeed(values.seed, '--seed') ?? scenario.seed);
  if (values.json) {
    io.out(`${JSON.stringify(result)}\n`);
    return 0;
  }
  io.out(
    `${positionals[0]}: model ${result.model}, seed ${result.seed}, ${ms(result.durationNs)} ms on ${result.pcpus} pCPUs\n\n`,
  );
  const rows = result.vms.map((vm) => [
    vm.name,
    String(vm.vcpus),
    `${(vm.cpuShare * 100).toFixed(1)}%`,
    int(vm.pleExits),
    ms(vm.spinNs),
    ms(vm.usefulNs),
    ms(vm.waitNs),
    int(vm.work),
    `${int(vm.yieldSuccesses)}/${int(vm.yieldAttempts)}`,
    int(vm.boostsHonoured),
    int(vm.overboosts),
    int(vm.lostOpportunities),
  ]);
  const t = result.totals;
  rows.push([
    'total',
    '',
    '',
    int(t.pleExits),
    ms(t.spinNs),
    ms(t.usefulNs),
    ms(t.waitNs),
    int(t.work),
    `${int(t.yieldSuccesses)}/${int(t.yieldAttempts)}`,
    int(t.boostsHonoured),
    int(t.overboosts),
    int(t.lostOpportunities),
  ]);
  io.out(
    textTable(
      [
        'vm',
        'vcpus',
        'cpu',
        'ple exits',
        'spin ms',
        'useful ms',
        'wait ms',
        'work',
        'yields ok/tried',
        'honoured',
        'overboost',
        'lost opp.',
      ],
      rows,
    ),
  );
  io.out(`\nJain fairness across VMs: ${t.jainFairness.toFixed(3)}\n`);
  return 0;
}
