import { readFileSync } from 'node:fs';
import { parseScenarioYaml, type Scenario } from '../sim/scenario';
import { fileError } from './cli-error';

/** Reads and validates a scenario file; a file error is said in words, a bad key by its path. */
export function readScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fileError(path, err);
  }
  return parseScenarioYaml(text, path);
}
