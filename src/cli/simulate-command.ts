import { Command, Option } from 'commander';
import { simulate } from '../sim/simulate';
import { CliError, type CliIo } from './cli-error';
import { modelOption } from './model-option';
import { integerIn } from './options';
import { Progress } from './progress';
import { readScenario } from './scenario-file';
import { int, ms, textTable } from './text-table';

interface SimulateOptions {
  model?: string;
  seed?: number;
  json: boolean;
  quiet: boolean;
}

/** `spinwise simulate <scenario.yaml> [--model NAME] [--seed N] [--json] [--quiet]` */
export function simulateCommand(io: CliIo): Command {
  return new Command('simulate')
    .description('run one scenario under one scheduler model and print per-VM results')
    .argument('<scenario.yaml>', 'scenario file (see scenarios/)')
    .addOption(modelOption('model to run (default: the model of host.kernel)'))
    .addOption(new Option('--seed <n>', 'random seed (default: the scenario’s seed)').argParser(integerIn(0)))
    .option('--json', 'print one JSON document instead of a table', false)
    .option('-q, --quiet', 'no progress on stderr', false)
    .addHelpText(
      'after',
      '\nExample:\n  spinwise simulate scenarios/paper-four-8vcpu-vms.yaml --model ple-kvm --seed 7',
    )
    .action((file: string, options: SimulateOptions) => run(file, options, io));
}

function run(file: string, options: SimulateOptions, io: CliIo): void {
  const scenario = readScenario(file);
  const progress = new Progress(
    io,
    'simulate',
    Math.round(scenario.duration / 1e6),
    'ms simulated',
    options.quiet,
  );
  let result;
  try {
    result = simulate(scenario, options.model, options.seed ?? scenario.seed, (doneNs) =>
      progress.update(Math.round(doneNs / 1e6)),
    );
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (options.json) {
    io.out(`${JSON.stringify(result)}\n`);
    return;
  }
  io.out(
    `${file}: model ${result.model}, seed ${result.seed}, ${ms(result.durationNs)} ms on ${result.pcpus} pCPUs\n\n`,
  );
  const row = (
    name: string,
    vcpus: string,
    cpu: string,
    t: (typeof result.vms)[number] | typeof result.totals,
  ) => [
    name,
    vcpus,
    cpu,
    int(t.pleExits),
    ms(t.spinNs),
    ms(t.usefulNs),
    ms(t.waitNs),
    int(t.work),
    `${int(t.yieldSuccesses)}/${int(t.yieldAttempts)}`,
    int(t.boostsHonoured),
    int(t.overboosts),
    int(t.lostOpportunities),
  ];
  const rows = result.vms.map((vm) =>
    row(vm.name, String(vm.vcpus), `${(vm.cpuShare * 100).toFixed(1)}%`, vm),
  );
  rows.push(row('total', '', '', result.totals));
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
  io.out(`\nJain fairness across VMs: ${result.totals.jainFairness.toFixed(3)}\n`);
}
