import { validationRows, VALIDATION_HEADER } from '../src/cli/validate-command';
import { validate } from '../src/validation/validate';
import { printTable } from './table';

/**
 * `npm run bench -- validation`: every case of scenarios/validation through the models, the
 * published change next to the predicted one (3 seeds), and what the replays cost.
 */
export async function validationBench(): Promise<void> {
  const seeds = Number(process.env.SPINWISE_VALIDATION_SEEDS ?? 3);
  const report = validate([], seeds);
  printTable(
    `validation: published measurements replayed through the models (${seeds} seeds), ${report.summary.within} of ${report.summary.total} within band`,
    [...VALIDATION_HEADER, 'CPU s'],
    validationRows(report.cases).map((row, i) => [...row, report.cases[i]!.cpuSeconds]),
  );
}
