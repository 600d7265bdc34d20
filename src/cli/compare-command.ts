import { Command, Option } from 'commander';
import { compare, COMPARED, defaultModels } from '../sim/compare';
import type { CliIo } from './cli-error';
import { modelsOption } from './model-option';
import { integerIn } from './options';
import { Progress } from './progress';
import { readScenario } from './scenario-file';
import { int, ms, pct, textTable } from './text-table';

const LABELS: Record<(typeof COMPARED)[number], [string, (n: number) => string]> = {
  pleExits: ['PLE exits', int],
  spinNs: ['spin ms', ms],
  usefulNs: ['useful guest ms', ms],
  work: ['work (locks + IPI rounds)', int],
  yieldAttempts: ['directed yields tried', int],
  yieldSuccesses: ['directed yields ok', int],
  boostsHonoured: ['boosts honoured', int],
  overboosts: ['overboosts', int],
  lostOpportunities: ['lost opportunities', int],
  runNs: ['vCPU run ms', ms],
  waitNs: ['run-queue wait ms', ms],
  haltedNs: ['halted ms', ms],
  jainFairness: ['Jain fairness (VMs)', (n) => n.toFixed(3)],
};

interface CompareOptions {
  models?: string[];
  seeds: number;
  json: boolean;
  quiet: boolean;
}

/** `spinwise compare <scenario.yaml> [--models a,b] [--seeds K] [--json] [--quiet]` */
export function compareCommand(io: CliIo): Command {
  return new Command('compare')
    .description('run one scenario under several models and compare them with the first')
    .argument('<scenario.yaml>', 'scenario file (see scenarios/)')
    .addOption(
      modelsOption('models to compare, first is the baseline (default: the kernel’s model, then ple-kvm)'),
    )
    .addOption(
      new Option('--seeds <k>', 'seeds per model (seed, seed+1, …); means get 95% intervals')
        .argParser(integerIn(1, 1000, 5))
        .default(1),
    )
    .option('--json', 'print one JSON document instead of a table', false)
    .option('-q, --quiet', 'no progress on stderr', false)
    .addHelpText(
      'after',
      '\nExample:\n  spinwise compare scenarios/paper-four-8vcpu-vms.yaml --models stock-5.6,ple-kvm,stock-6.19 --seeds 5',
    )
    .action((file: string, options: CompareOptions) => run(file, options, io));
}

function run(file: string, options: CompareOptions, io: CliIo): void {
  const scenario = readScenario(file);
  const models = options.models ?? defaultModels(scenario);
  const seeds = options.seeds;
  const progress = new Progress(io, 'compare', models.length * seeds, 'runs', options.quiet);
  const result = compare(scenario, file, models, seeds, (done) => progress.update(done));
  if (options.json) {
    io.out(`${JSON.stringify(result)}\n`);
    return;
  }
  io.out(
    `${result.scenario}: ${models.join(' vs ')}, seeds ${result.seeds.join(', ')}${seeds > 1 ? ' (means ± 95% interval)' : ''}\n\n`,
  );
  const rows = COMPARED.map((key) => {
    const [label, fmt] = LABELS[key];
    return [
      label,
      ...result.models.flatMap((m, i) => {
        const value = fmt(m.totals[key]) + (seeds > 1 ? ` ± ${fmt(m.ci95[key])}` : '');
        if (i === 0) return [value];
        const rel = result.relative[i]!;
        const change = key in rel ? pct(rel[key as 'pleExits']) : '';
        return [value, change];
      }),
    ];
  });
  const header = ['', ...result.models.flatMap((m, i) => (i === 0 ? [m.name] : [m.name, 'vs first']))];
  io.out(textTable(header, rows));
}
