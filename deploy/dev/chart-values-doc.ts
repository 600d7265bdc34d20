import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The chart whose README carries the values table. */
export const CHART_DIR = resolve(__dirname, '..', '..', '..', 'charts', 'spinwise');
const START = '<!-- values: generated from values.yaml and values.schema.json by `npm run chart-docs` -->';
const END = '<!-- values: end -->';

interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  $ref?: string;
}

/**
 * One row per value (helm-docs style): its key, its default from values.yaml and its description
 * from values.schema.json. An object with declared properties is opened; anything else (a map, a
 * list, a `$ref`) is one value.
 */
export function valuesTable(chartDir = CHART_DIR): string {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const rows: string[] = [];
  const walk = (node: SchemaNode, path: string[], value: unknown) => {
    if (node.properties && node.type === 'object' && !node.$ref) {
      for (const [key, child] of Object.entries(node.properties))
        walk(child, [...path, key], (value as Record<string, unknown> | undefined)?.[key]);
      return;
    }
    const shown = value === undefined ? '' : `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``;
    rows.push(`| \`${path.join('.')}\` | ${shown} | ${(node.description ?? '').replace(/\|/g, '\\|')} |`);
  };
  walk(schema, [], values);
  return ['| value | default | description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with its values section replaced by the current table. */
export function withValuesTable(readme: string, table = valuesTable()): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const section = `${START}\n\n${table}\n\n${END}`;
  return start < 0 || end < 0
    ? `${readme.trimEnd()}\n\n## Values\n\n${section}\n`
    : readme.slice(0, start) + section + readme.slice(end + END.length);
}

if (require.main === module) {
  const file = join(CHART_DIR, 'README.md');
  writeFileSync(file, withValuesTable(readFileSync(file, 'utf8')));
  process.stderr.write(`${file}: values table written\n`);
}
