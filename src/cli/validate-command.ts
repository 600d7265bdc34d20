import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { validate } from '../validation/validate';
import type { CaseResult } from '../validation/run-case';
import { CliError, ExitStatus, type CliIo } from './cli-error';
import { integerIn } from './options';
import { textTable } from './text-table';

interface ValidateOptions {
  json: boolean;
  seeds: number;
}

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;

/** The published change next to the predicted one with its interval, and the verdict: one row a case. */
export function validationRows(cases: CaseResult[]): string[][] {
  return cases.map((c) => [
    c.name,
    c.source.length > 60 ? `${c.source.slice(0, 59)}…` : c.source,
    c.setup,
    c.metric,
    pct(c.published.change),
    `${pct(c.predicted.change)} [${pct(c.predicted.low)}, ${pct(c.predicted.high)}]`,
    c.withinBand ? 'within band' : 'MISS',
  ]);
}

export const VALIDATION_HEADER = [
  'case',
  'source',
  'setup',
  'metric',
  'published',
  'predicted [95 % interval]',
  'verdict',
];

/** `spinwise validate [PATH...] [--json] [--seeds N]` */
export function validateCommand(io: CliIo): Command {
  return new Command('validate')
    .description(
      'replay published kernel and paper measurements through the models: the published change next to the predicted one, and a verdict',
    )
    .argument('[paths...]', 'case files or directories (default: scenarios/validation)')
    .option('--json', 'print one JSON document instead of the table', false)
    .addOption(
      new Option('--seeds <n>', 'seeds per configuration (the interval is over them)')
        .argParser(integerIn(2, 30, 3))
        .default(3),
    )
    .addHelpText(
      'after',
      '\nExit status: 0 every case within its band, 1 some case missed, 2 a case file is wrong.\n\nExamples:\n  spinwise validate\n  spinwise validate scenarios/validation/ready-boost-2vm.yaml --seeds 5 --json',
    )
    .action((paths: string[], options: ValidateOptions) => {
      for (const p of paths) if (!existsSync(p)) throw new CliError(`no such file: ${p}`);
      const report = validate(paths, options.seeds, (r, i, n) =>
        io.err(
          `[${i + 1}/${n}] ${r.name}: ${r.withinBand ? 'within band' : 'MISS'} (${r.cpuSeconds.toFixed(1)} CPU-s)\n`,
        ),
      );
      if (options.json) {
        const doc = {
          cases: report.cases.map((c) => ({
            name: c.name,
            file: c.file,
            source: c.source,
            setup: c.setup,
            metric: c.metric,
            published: c.published,
            predicted: { change: c.predicted.change, low: c.predicted.low, high: c.predicted.high },
            withinBand: c.withinBand,
            assumptions: c.assumptions,
          })),
          summary: report.summary,
        };
        io.out(`${JSON.stringify(doc)}\n`);
      } else {
        io.out(textTable(VALIDATION_HEADER, validationRows(report.cases)));
        io.out(
          `\n${report.summary.within} of ${report.summary.total} within band (${options.seeds} seeds each)\n`,
        );
      }
      if (report.summary.within < report.summary.total) throw new ExitStatus(1);
    });
}
