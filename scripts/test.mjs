#!/usr/bin/env node
// The whole test suite: lint, format, typecheck/build, then every test against real Kafka and
// InfluxDB that this script starts once and always tears down, whatever the tests do.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args, env = process.env, timeoutMs = undefined) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit', env, timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (result.error?.code === 'ETIMEDOUT')
    process.stderr.write(`\n${cmd} ${args[0]}: still running after ${timeoutMs / 60_000} min; stopped\n`);
  return result.status ?? 1;
};
/** A test file that hangs fails after 15 min (the reliability suite takes about 5); a run that never ends, after 45. */
const TEST_TIMEOUT_MS = 15 * 60_000;
const SUITE_TIMEOUT_MS = 45 * 60_000;
const step = (title, cmd, args) => {
  process.stderr.write(`\n== ${title}\n`);
  if (run(cmd, args) !== 0) {
    process.stderr.write(`${title} failed\n`);
    process.exit(1);
  }
};

step('lint (eslint)', 'npx', ['eslint', '.']);
step('format (prettier --check)', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);
step('typecheck and build (tsc: server and dashboard)', 'npm', ['run', '--silent', 'build']);

const only = process.argv.slice(2);
const files = ['dist/src', 'dist/test']
  .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))))
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

// Tools some tests drive, installed when missing and named when used, so a fresh machine needs
// nothing by hand.
const tools = await import('../dist/deploy/dev/test-tools.js');
const needs = (part) => files.some((f) => f.includes(part));
const toolEnv = {};
if (needs('dashboard')) toolEnv.SPINWISE_CHROMIUM = tools.ensureChromium();
if (needs('chart')) toolEnv.SPINWISE_HELM = tools.ensureHelm();
if (needs('qemu')) toolEnv.SPINWISE_QEMU = tools.ensureQemu();
if (needs('prometheus')) {
  const prometheus = tools.ensurePrometheus();
  toolEnv.SPINWISE_PROMETHEUS = prometheus.prometheus;
  toolEnv.SPINWISE_PROMTOOL = prometheus.promtool;
}
if (needs('libvirt')) {
  const libvirt = tools.ensureLibvirt();
  toolEnv.SPINWISE_LIBVIRTD = libvirt.libvirtd;
  toolEnv.SPINWISE_VIRSH = libvirt.virsh;
}
for (const [name, path] of Object.entries(toolEnv)) process.stderr.write(`${name}=${path}\n`);

const services = await import('../dist/deploy/dev/services.js');
const stateDir = mkdtempSync(join(tmpdir(), 'spinwise-test-'));
const stateFile = join(stateDir, 'services.json');
let status = 1;
try {
  // The Kubernetes, chart and reliability tests get a real control plane (etcd + kube-apiserver).
  const kube = needs('kubernetes') || needs('chart') || needs('reliability');
  process.stderr.write(
    `\n== starting Kafka, InfluxDB${kube ? ' and a Kubernetes control plane' : ''} on 127.0.0.1\n`,
  );
  const state = await services.startServices(stateFile, { kube });
  process.stderr.write(`kafka ${services.brokersOf(state)}, influxdb ${services.influxUrlOf(state)}\n`);
  if (state.kube) process.stderr.write(`${services.kubeDescription(state.kube)}\n`);
  process.stderr.write(`\n== tests (${files.length} files)\n`);
  // SPINWISE_TEST_NAME: only the tests whose name matches (node --test-name-pattern).
  const pattern = process.env.SPINWISE_TEST_NAME
    ? [`--test-name-pattern=${process.env.SPINWISE_TEST_NAME}`]
    : [];
  status = run(
    'node',
    [
      '--enable-source-maps',
      '--test',
      '--test-concurrency=1',
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      ...pattern,
      ...files,
    ],
    { ...process.env, ...toolEnv, SPINWISE_TEST_SERVICES: stateFile },
    SUITE_TIMEOUT_MS,
  );
} finally {
  await services
    .stopServices(stateFile)
    .catch((err) => process.stderr.write(`stopping services: ${err.message}\n`));
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(status);
