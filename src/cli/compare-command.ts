import { parseArgs } from 'node:util';
import { compare, COMPARED, defaultModels } from '../sim/compare';
import { modelByName } from '../sim/models';
import { CliError, type CliIo } from './cli-error';
import { parseSeed, readScenario } from './scenario-file';
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

/** `spinwise compare <scenario.yaml> [--models a,b] [--seeds K] [--json]` */
export async function compareCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      models: { type: 'string' },
      seeds: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const scenario = readScenario(positionals[0]);
  const models = values.models ? values.models.split(',').filter(Boolean) : defaultModels(scenario);
  for (const m of models) {
    try {
      modelByName(m);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  const seeds = parseSeed(values.seeds, '--seeds') ?? 1;
  if (seeds < 1) throw new CliError('--seeds: expected at least 1');
  const total = models.length * seeds;
  const showProgress = total > 1 && Boolean(process.stderr.isTTY) && !values.json;
  const result = compare(scenario, positionals[0]!, models, seeds, (done) => {
    if (!showProgress) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.err(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs${done === total ? '\n' : ''}`,
    );
  });
  if (values.json) {
    io.out(`${JSON.stringify(result)}\n`);
    return 0;
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
  return 0;
}
