#!/usr/bin/env node
// The test suite. `npm test`: lint, format, typecheck/build, then every test, with the real
// services the selected tests need (Kafka, InfluxDB, a Kubernetes control plane) started once and
// always torn down, whatever the tests do. `npm test -- --unit`: build, then only the tests that
// need no service and no external tool, starting nothing. Other arguments select test files by
// a part of their path (`npm test -- prometheus`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args, env = process.env, timeoutMs = undefined) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit', env, timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (result.error?.code === 'ETIMEDOUT')
    process.stderr.write(`\n${cmd} ${args[0]}: still running after ${timeoutMs / 60_000} min; stopped\n`);
  return result.status ?? 1;
};
/** A test file that hangs fails after 15 min (the reliability suite takes about 6); a run that never ends, after 45. */
const TEST_TIMEOUT_MS = 15 * 60_000;
const SUITE_TIMEOUT_MS = 45 * 60_000;
const step = (title, cmd, args) => {
  process.stderr.write(`\n== ${title}\n`);
  if (run(cmd, args) !== 0) {
    process.stderr.write(`${title} failed\n`);
    process.exit(1);
  }
};

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const only = args.filter((a) => a !== '--unit');

if (!unit) {
  step('lint (eslint)', 'npx', ['eslint', '.']);
  step('format (prettier --check)', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);
}
step('typecheck and build (tsc: server and dashboard)', 'npm', ['run', '--silent', 'build']);

/**
 * What a compiled test file needs, from what it names: the services through their test
 * accessors (test/support/services, test/support/kube, deploy/dev/services), the tools through
 * the variables the runner sets or the helpers that start them.
 */
const NEEDS = {
  kafka: /\b(testBrokers|withKafkaDown)\b/,
  influx: /\b(testInfluxUrl|withInfluxDown)\b/,
  kube: /\b(testKube|kubeConfigAs|withKubeDown)\b/,
  chromium: /SPINWISE_CHROMIUM/,
  helm: /support\/helm"/,
  qemu: /SPINWISE_QEMU|qemu-guest"/,
  libvirt: /SPINWISE_LIBVIRTD/,
  prometheus: /SPINWISE_PROMETHEUS|SPINWISE_PROMTOOL/,
  // Its own broker (secured ones): Kafka's jars and a JVM, not the shared service.
  broker: /deploy\/dev\/kafka"/,
};
const needsOf = (file) => {
  const text = readFileSync(file, 'utf8');
  return new Set(Object.keys(NEEDS).filter((k) => NEEDS[k].test(text)));
};

const files = ['dist/src', 'dist/test']
  .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))))
  .filter((f) => f.endsWith('.test.js'))
  // Only tests whose source still exists: a deleted test's old build is not run.
  .filter((f) => existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .map((f) => ({ file: f, needs: needsOf(f) }))
  .filter((f) => !unit || f.needs.size === 0)
  .sort((a, b) => a.file.localeCompare(b.file));
const needs = (what) => files.some((f) => f.needs.has(what));

// Tools some tests drive, installed when missing and named when used, so a fresh machine needs
// nothing by hand.
const tools = await import('../dist/deploy/dev/test-tools.js');
const toolEnv = {};
if (needs('chromium')) toolEnv.SPINWISE_CHROMIUM = tools.ensureChromium();
if (needs('helm')) toolEnv.SPINWISE_HELM = tools.ensureHelm();
if (needs('qemu')) toolEnv.SPINWISE_QEMU = tools.ensureQemu();
if (needs('libvirt')) {
  const libvirt = tools.ensureLibvirt();
  toolEnv.SPINWISE_LIBVIRTD = libvirt.libvirtd;
  toolEnv.SPINWISE_VIRSH = libvirt.virsh;
}
if (needs('prometheus')) {
  const prometheus = tools.ensurePrometheus();
  toolEnv.SPINWISE_PROMETHEUS = prometheus.prometheus;
  toolEnv.SPINWISE_PROMTOOL = prometheus.promtool;
}
for (const [name, path] of Object.entries(toolEnv)) process.stderr.write(`${name}=${path}\n`);

const services = await import('../dist/deploy/dev/services.js');
const wanted = { kafka: needs('kafka'), influx: needs('influx'), kube: needs('kube') };
const anyService = Object.values(wanted).some(Boolean);
const stateDir = mkdtempSync(join(tmpdir(), 'spinwise-test-'));
const stateFile = join(stateDir, 'services.json');
let status = 1;
const started = Date.now();
try {
  const env = { ...process.env, ...toolEnv };
  if (anyService) {
    const names = ['Kafka', 'InfluxDB', 'a Kubernetes control plane'].filter(
      (_, i) => Object.values(wanted)[i],
    );
    process.stderr.write(`\n== starting ${names.join(', ')} on 127.0.0.1\n`);
    const state = await services.startServices(stateFile, wanted);
    if (state.kafka) process.stderr.write(`kafka ${services.brokersOf(state)}\n`);
    if (state.influx) process.stderr.write(`influxdb ${services.influxUrlOf(state)}\n`);
    if (state.kube) process.stderr.write(`${services.kubeDescription(state.kube)}\n`);
    env.SPINWISE_TEST_SERVICES = stateFile;
  } else process.stderr.write('\n== no service needed by the selected tests: none started\n');
  process.stderr.write(`\n== tests (${files.length} files${unit ? ', unit: no service, no tool' : ''})\n`);
  // SPINWISE_TEST_NAME: only the tests whose name matches (node --test-name-pattern).
  const pattern = process.env.SPINWISE_TEST_NAME
    ? [`--test-name-pattern=${process.env.SPINWISE_TEST_NAME}`]
    : [];
  status = run(
    'node',
    [
      '--enable-source-maps',
      '--test',
      // The unit tests share no service: run them side by side.
      `--test-concurrency=${unit ? 2 : 1}`,
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      ...pattern,
      ...files.map((f) => f.file),
    ],
    env,
    SUITE_TIMEOUT_MS,
  );
} finally {
  if (anyService)
    await services
      .stopServices(stateFile)
      .catch((err) => process.stderr.write(`stopping services: ${err.message}\n`));
  rmSync(stateDir, { recursive: true, force: true });
}
process.stderr.write(`\n== ${files.length} test files in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(status);
