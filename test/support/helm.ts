import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '../../deploy/dev/test-tools';

export const CHART = join(__dirname, '..', '..', '..', 'charts', 'spinwise');
export const VALUES_EXAMPLE = join(__dirname, '..', '..', '..', 'deploy', 'values-example.yaml');

let path: string | null = null;
export function helm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // The one npm test found or built (SPINWISE_HELM), else the same lookup it uses.
  path ??= ensureHelm();
  return spawnSync(path, args, { encoding: 'utf8' });
}

/** A rendered or stored object; the tests read its fields freely. */
export type Doc = {
  kind: string;
  apiVersion: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [k: string]: any;
};

export function parseDocs(yamlText: string): Doc[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as Doc)
    .filter(Boolean);
}

/** `helm template` of the chart as release "spinwise" in namespace "spinwise"; `-f=FILE` reads a values file. */
export function render(...set: string[]): Doc[] {
  return renderIn('spinwise', ...set);
}

export function renderIn(namespace: string, ...set: string[]): Doc[] {
  const out = helm(
    'template',
    'spinwise',
    CHART,
    '--namespace',
    namespace,
    // `-f=FILE` is a values file, `--flag=…` a helm flag (--api-versions), anything else a --set.
    ...set.flatMap((s) =>
      s.startsWith('-f=') ? ['-f', s.slice(3)] : s.startsWith('--') ? [s] : ['--set', s],
    ),
  );
  assert.equal(out.status, 0, out.stderr);
  return parseDocs(out.stdout);
}
