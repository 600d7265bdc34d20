import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCase, type ValidationCase } from './case-file';
import { runCase, type CaseResult } from './run-case';
import { loadWorkloads } from './workload-library';

/** The repository's scenarios: validation cases and the workload library they name. */
export const SCENARIOS_DIR = join(__dirname, '..', '..', '..', 'scenarios');

export interface ValidationReport {
  cases: CaseResult[];
  summary: { within: number; total: number; seeds: number; cpuSeconds: number };
}

/** The case files a list of paths names (a directory stands for its `*.yaml`), sorted. */
export function caseFiles(paths: string[]): string[] {
  const roots = paths.length ? paths : [join(SCENARIOS_DIR, 'validation')];
  return roots.flatMap((p) =>
    existsSync(p) && statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.yaml'))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
}

/** Reads every case first (a bad file stops before any run), then runs each on `seeds` seeds. */
export function validate(
  paths: string[],
  seeds: number,
  onCase: (result: CaseResult, index: number, total: number) => void = () => undefined,
): ValidationReport {
  const library = loadWorkloads(join(SCENARIOS_DIR, 'workloads'));
  const cases: ValidationCase[] = caseFiles(paths).map((f) => readCase(f, library));
  const results = cases.map((c, i) => {
    const result = runCase(c, seeds);
    onCase(result, i, cases.length);
    return result;
  });
  return {
    cases: results,
    summary: {
      within: results.filter((r) => r.withinBand).length,
      total: results.length,
      seeds,
      cpuSeconds: results.reduce((a, r) => a + r.cpuSeconds, 0),
    },
  };
}
