import { readFileSync } from 'node:fs';
import { parseScenarioYaml, type Scenario } from '../sim/scenario';
import { CliError } from './cli-error';

export function readScenario(path: string | undefined): Scenario {
  if (!path) throw new CliError('missing <scenario.yaml> (see scenarios/ for examples)');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read scenario ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseScenarioYaml(text, path);
}

export function parseSeed(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${what}: expected a non-negative integer, got "${value}"`);
  return Number(value);
}
