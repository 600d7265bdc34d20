import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ScenarioError } from '../sim/scenario';

/** A YAML file's document; a file that is not YAML is a ScenarioError naming it. */
export function readYamlDocument(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
}
