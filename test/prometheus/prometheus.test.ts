import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePort } from '../../deploy/dev/free-port';
import { THRESHOLDS } from '../../src/advisor/domain/analyze-node';
import type { Demo } from '../../src/demo/demo';
import { startFastDemo } from '../support/fast-demo';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..', '..');
const RULES = join(ROOT, 'charts', 'spinwise', 'files', 'prometheus-rules.yaml');
const PROMTOOL_TESTS = join(ROOT, 'test', 'prometheus', 'alerts.promtool.yaml');
const DASHBOARD = join(ROOT, 'charts', 'spinwise', 'dashboards', 'spinwise-prometheus.json');
const PROMTOOL = process.env.SPINWISE_PROMTOOL ?? 'promtool';
const PROMETHEUS = process.env.SPINWISE_PROMETHEUS ?? 'prometheus';
const RUNBOOKS = 'https://github.com/spinwise/spinwise/blob/main/docs/runbooks/';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const alerts = rules.filter((r) => r.alert);
const alertNames = [...new Set(alerts.map((r) => r.alert!))];

describe('alerting rules (promtool)', () => {
  it('promtool checks the rules and unit-tests every alert: each fires on series over its threshold and stays silent under it', () => {
    const version = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
    process.stderr.write(
      `prometheus: promtool ${/version (\S+)/.exec(version.stdout + version.stderr)?.[1]}\n`,
    );
    const check = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const unit = spawnSync(PROMTOOL, ['test', 'rules', PROMTOOL_TESTS], { encoding: 'utf8' });
    assert.equal(unit.status, 0, unit.stdout + unit.stderr);
    // Every alert is tested firing.
    const tests = parse(readFileSync(PROMTOOL_TESTS, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    assert.deepEqual(
      alertNames.filter((a) => !fired.has(a)),
      [],
    );
  });

  it('every alert has a severity, a summary, a description and a runbook in the repo with meaning, impact, diagnosis and mitigation', () => {
    for (const rule of alerts) {
      assert.match(rule.labels?.severity ?? '', /^(info|warning|critical)$/, rule.alert);
      assert.ok(rule.annotations?.summary && rule.annotations.description, rule.alert);
      assert.equal(rule.annotations?.runbook_url, `${RUNBOOKS}${rule.alert}.md`);
      const runbook = join(ROOT, 'docs', 'runbooks', `${rule.alert}.md`);
      assert.ok(existsSync(runbook), runbook);
      const text = readFileSync(runbook, 'utf8');
      for (const section of ['Meaning', 'Impact', 'Diagnosis', 'Mitigation'])
        assert.match(text, new RegExp(`^## ${section}$`, 'm'), `${rule.alert}: ${section}`);
    }
  });

  it("the per-VM alerts' thresholds are the advisor's finding thresholds", () => {
    const finding: Record<string, keyof typeof THRESHOLDS> = {
      SpinwiseVmExcessiveSpinning: 'spin-share',
      SpinwiseVmPleExitStorm: 'ple-rate',
      SpinwiseVmRunQueueWait: 'runqueue-wait',
      SpinwiseVmCpuThrottled: 'cpu-throttling',
      SpinwiseVmDirectedYieldIneffective: 'yield-ineffective',
    };
    for (const [alert, kind] of Object.entries(finding)) {
      const t = THRESHOLDS[kind];
      for (const rule of alerts.filter((r) => r.alert === alert)) {
        const bounds = [...rule.expr.matchAll(/(>=|<) ([\d.]+)/g)].map((m) => [m[1], Number(m[2])]);
        // The yield alert has one level (warning), then the advisor's floor of attempts.
        const expected = alert.includes('Yield')
          ? [['>=', t.warning]]
          : rule.labels!.severity === 'critical'
            ? [['>=', t.critical]]
            : [
                ['>=', t.warning],
                ['<', t.critical],
              ];
        assert.deepEqual(bounds.slice(0, expected.length), expected, alert);
      }
    }
  });
});

/** An alert's expression without its thresholds: the quantity it watches. */
const quantityOf = (expr: string) =>
  expr.replace(/\s*(>=|<=|==|>|<)\s*[\d.]+(?=\s*(\n|$|\)|and\b|or\b|[<>=]))/g, '').trim();

/**
 * The labels each alert's quantity must carry. `namespace` only where the VM is a VMI: a plain
 * libvirt VM's is empty, which Prometheus stores as no label (and, with honor_labels, never the
 * agent pod's namespace).
 */
const ALERT_LABELS: Record<string, string[]> = {
  SpinwiseVmExcessiveSpinning: ['namespace', 'name', 'node'],
  SpinwiseVmPleExitStorm: ['namespace', 'name', 'node'],
  SpinwiseVmRunQueueWait: ['namespace', 'name', 'node'],
  SpinwiseVmCpuThrottled: ['namespace', 'name', 'node'],
  SpinwiseVmDirectedYieldIneffective: ['namespace', 'name', 'node'],
  SpinwiseAgentNotSampling: ['node'],
  SpinwiseAgentDroppingSamples: ['node'],
  SpinwiseAgentSpooling: ['node'],
  SpinwiseAgentSignalMissing: ['node', 'signal'],
  SpinwiseAdvisorUnavailable: [],
  SpinwiseAdvisorDegraded: ['part'],
  SpinwiseNodeTelemetryStale: ['node'],
  SpinwisePredictionsStale: ['node'],
  SpinwiseTelemetryDeadLettered: [],
};

const present = (metric: Record<string, string>, label: string) =>
  metric[label] !== undefined || (label === 'namespace' && metric.node === 'kvm-plain');

/** A KubeVirt node (VMIs of namespace prod, one CPU-limited, PV spinlocks) for the agents. */
const KUBEVIRT_NODE = `
host: { pcpus: 4, kernel: 6.8.0-45-generic, cpu: { vendor: intel, ghz: 2.5 }, cgroups: per-vm }
vms:
  - name: db
    vcpus: 4
    cpu: { limit: 3 }
    workload:
      busy: 0.9
      burst: 4ms
      locks: { count: 4, perSecond: 20000, hold: 3us }
      ipis: { perSecond: 1000, targets: 3, handler: 3us }
      pvSpinlocks: true
  - name: web
    vcpus: 2
    workload: { busy: 0.5, burst: 1ms, locks: { count: 2, perSecond: 4000, hold: 2us } }
duration: 1s
seed: 5
`;

describe('a real Prometheus scraping an advisor and two agents (simulated nodes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-prometheus-'));
  const children: ChildProcess[] = [];
  let demo: Demo;
  let api = '';

  const agent = async (node: string, scenario: string, extra: string[]): Promise<number> => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'spinwise.js'),
        'agent',
        '--simulate',
        scenario,
        '--interval',
        '1s',
        '--stdout',
        '--node',
        node,
        '--metrics-port',
        '0',
        '--metrics-host',
        '127.0.0.1',
        ...extra,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(
      `agent ${node}'s metrics endpoint`,
      () => /127\.0\.0\.1:(\d+)/.test(err),
      60_000,
      () => err,
    );
    return Number(/127\.0\.0\.1:(\d+)/.exec(err)![1]);
  };

  const query = async (promql: string) => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string> }[] };
    };
    assert.equal(body.status, 'success', `${promql}: ${body.error}`);
    return body.data!.result;
  };

  before(async () => {
    demo = await startFastDemo();
    const scenario = join(dir, 'kubevirt-node.yaml');
    writeFileSync(scenario, KUBEVIRT_NODE);
    const kubevirtPort = await agent('kvm-kubevirt', scenario, ['--simulate-kubevirt', 'prod']);
    const plainPort = await agent('kvm-plain', join(ROOT, 'scenarios', 'paper-four-8vcpu-vms.yaml'), [
      '--no-qmp',
    ]);
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    // As the chart's ServiceMonitor and PodMonitor scrape: honor_labels, so a VMI's namespace is
    // not renamed exported_namespace by the target's own namespace label.
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: [
        {
          job_name: 'spinwise-advisor',
          honor_labels: true,
          static_configs: [
            { targets: [new URL(demo.url).host], labels: { namespace: 'spinwise', pod: 'advisor-0' } },
          ],
        },
        {
          job_name: 'spinwise-agent',
          honor_labels: true,
          static_configs: [
            { targets: [`127.0.0.1:${kubevirtPort}`], labels: { namespace: 'spinwise', pod: 'agent-a' } },
            { targets: [`127.0.0.1:${plainPort}`], labels: { namespace: 'spinwise', pod: 'agent-b' } },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const server = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(server);
    let log = '';
    server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const version = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' });
    process.stderr.write(
      `prometheus: ran against prometheus ${/version (\S+)/.exec(version.stdout + version.stderr)?.[1]}\n`,
    );
    await waitFor(
      'Prometheus to scrape the advisor and both agents',
      async () => {
        const up = await fetch(`${api}/api/v1/query?query=up`)
          .then((r) => r.json() as Promise<{ data?: { result: { value: [number, string] }[] } }>)
          .catch(() => null);
        return up?.data?.result.length === 3 && up.data.result.every((r) => r.value[1] === '1');
      },
      60_000,
      () => log.slice(-2000),
    );
    // The advisor's predictions, and enough scrapes for rate() over 20 s.
    await waitFor(
      'a prediction and 20 s of samples',
      async () =>
        (await query('spinwise_node_last_prediction_timestamp_seconds')).length > 0 &&
        (await query('count_over_time(spinwise_vm_cpu_throttled_periods_total[20s]) >= 10')).length > 0,
      120_000,
    );
    // Recording rules over rates need two samples with an increase; on a loaded machine the
    // first evaluations can come up empty. Give them time; the test names any still missing.
    await waitFor(
      'every recording rule to have series',
      async () => {
        for (const rule of rules.filter((r) => r.record))
          if ((await query(rule.record!)).length === 0) return false;
        return true;
      },
      60_000,
    ).catch(() => undefined);
  });

  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every recording rule and every alert expression (its quantity, thresholds removed) returns series with the labels the alert names', async () => {
    for (const rule of rules.filter((r) => r.record)) {
      const result = await query(rule.record!);
      assert.ok(result.length > 0, `${rule.record}: no series`);
    }
    for (const rule of alerts) {
      const promql = quantityOf(rule.expr);
      const result = await query(promql);
      assert.ok(result.length > 0, `${rule.alert}: ${promql}: no series`);
      for (const r of result)
        for (const label of ALERT_LABELS[rule.alert!]!)
          assert.ok(
            present(r.metric, label),
            `${rule.alert}: ${label} missing in ${JSON.stringify(r.metric)}`,
          );
    }
    assert.deepEqual(Object.keys(ALERT_LABELS).sort(), [...alertNames].sort());
  });

  it("a VMI's series keep its namespace (honor_labels) and join KubeVirt's labels: namespace, name, node", async () => {
    const vms = await query('spinwise_vm_vcpus{node="kvm-kubevirt"}');
    assert.deepEqual(vms.map((r) => `${r.metric.namespace}/${r.metric.name}`).sort(), [
      'prod/db',
      'prod/web',
    ]);
    assert.equal((await query('spinwise_vm_vcpus{exported_namespace!=""}')).length, 0);
    // Only the CPU-limited VM has CFS bandwidth series.
    const throttled = await query('spinwise_vm_cpu_periods_total');
    assert.deepEqual(
      throttled.map((r) => r.metric.name),
      ['db'],
    );
  });

  it('every panel query of the Prometheus dashboard returns series carrying the labels its legend names', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { title: string; targets: { expr: string; legendFormat?: string }[] }[];
    };
    for (const panel of dashboard.panels)
      for (const target of panel.targets) {
        const promql = target.expr
          .replaceAll('$__rate_interval', '20s')
          .replaceAll('$node', '.*')
          .replaceAll('$namespace', '.*');
        const result = await query(promql);
        assert.ok(result.length > 0, `${panel.title}: ${promql}: no series`);
        const legendLabels = [...(target.legendFormat ?? '').matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!);
        for (const r of result)
          for (const label of legendLabels)
            assert.ok(
              present(r.metric, label),
              `${panel.title}: ${label} missing in ${JSON.stringify(r.metric)}`,
            );
      }
  });
});
