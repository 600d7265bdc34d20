import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const CHART = join(__dirname, '..', '..', '..', 'charts', 'spinwise');
export const VALUES_EXAMPLE = join(__dirname, '..', '..', '..', 'deploy', 'values-example.yaml');

/** The real helm: SPINWISE_HELM (npm test builds it when missing), on PATH, or where `go install` puts it. */
function helmBinary(): string {
  const candidates = [
    process.env.SPINWISE_HELM,
    'helm',
    join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin', 'helm'),
  ];
  for (const c of candidates) if (c && spawnSync(c, ['version', '--short']).status === 0) return c;
  throw new Error('helm not found: run the tests with `npm test`, which builds it when missing');
}

let path: string | null = null;
export function helm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  path ??= helmBinary();
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
    ...set.flatMap((s) => (s.startsWith('-f=') ? ['-f', s.slice(3)] : ['--set', s])),
  );
  assert.equal(out.status, 0, out.stderr);
  return parseDocs(out.stdout);
}
