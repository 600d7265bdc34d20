import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ADVISOR_CLUSTER_RULES, ADVISOR_NAMESPACE_RULES } from '../../src/adapters/kubernetes/rbac';

const CHART = join(__dirname, '..', '..', '..', 'charts', 'spinwise');

/** The real helm: SPINWISE_HELM, on PATH, or where `go install` puts it (npm test builds it there when missing). */
function helmBinary(): string {
  const candidates = [
    process.env.SPINWISE_HELM,
    'helm',
    join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin', 'helm'),
  ];
  for (const c of candidates) if (c && spawnSync(c, ['version', '--short']).status === 0) return c;
  throw new Error(
    'helm not found: install it with `go install helm.sh/helm/v3/cmd/helm@v3.16.4` (npm test does)',
  );
}
const helmPath = helmBinary();
const helm = (...args: string[]) => spawnSync(helmPath, args, { encoding: 'utf8' });

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function render(...set: string[]): Doc[] {
  const out = helm(
    'template',
    'spinwise',
    CHART,
    '--namespace',
    'spinwise',
    ...set.flatMap((s) => ['--set', s]),
  );
  assert.equal(out.status, 0, out.stderr);
  return parseAllDocuments(out.stdout)
    .map((d) => d.toJS() as Doc)
    .filter(Boolean);
}
const one = (docs: Doc[], kind: string, nameEnds = '') => {
  const found = docs.filter((d) => d.kind === kind && d.metadata.name.endsWith(nameEnds));
  assert.equal(found.length, 1, `one ${kind} *${nameEnds}`);
  return found[0]!;
};
const rules = (
  r: readonly { apiGroups: readonly string[]; resources: readonly string[]; verbs: readonly string[] }[],
) => r.map((x) => ({ apiGroups: [...x.apiGroups], resources: [...x.resources], verbs: [...x.verbs] }));

describe('Helm chart charts/spinwise (real helm)', () => {
  it('passes helm lint', () => {
    const out = helm('lint', CHART);
    assert.equal(out.status, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the agent DaemonSet, the advisor Deployment with Service and PDB, RBAC, config and a Grafana dashboard', () => {
    const docs = render();
    assert.deepEqual(
      docs.map((d) => d.kind).sort(),
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'ConfigMap',
        'DaemonSet',
        'Deployment',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
        'ServiceAccount',
      ].sort(),
    );
    const advisor = one(docs, 'Deployment', '-advisor');
    assert.equal(advisor.spec.replicas, 2);
    const container = advisor.spec.template.spec.containers[0];
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.ok(container.resources.limits.memory);
    assert.equal(one(docs, 'PodDisruptionBudget').spec.minAvailable, 1);
    const dashboard = one(docs, 'ConfigMap', '-grafana-dashboard');
    assert.equal(dashboard.metadata.labels!.grafana_dashboard, '1');
    const json = JSON.parse(dashboard.data['spinwise.json']);
    assert.equal(json.uid, 'spinwise');
    assert.ok(JSON.stringify(json).includes('"uid":"InfluxDB"'), 'the data source is the configured one');
  });

  it('grants the advisor exactly the Kubernetes API verbs the code uses, and the agent none', () => {
    const docs = render();
    assert.deepEqual(one(docs, 'ClusterRole').rules, rules(ADVISOR_CLUSTER_RULES));
    assert.deepEqual(one(docs, 'Role').rules, rules(ADVISOR_NAMESPACE_RULES));
    const agentSa = one(docs, 'ServiceAccount', '-agent');
    assert.equal(agentSa.automountServiceAccountToken, false);
    const bound = docs
      .filter((d) => d.kind.endsWith('Binding'))
      .flatMap((b) => b.subjects.map((s: { name: string }) => s.name));
    assert.ok(!bound.includes(agentSa.metadata.name), 'no role is bound to the agent');
  });

  it('runs the agent in the host PID namespace with no capabilities, host files read-only except tracefs and its spool', () => {
    const agent = one(render(), 'DaemonSet').spec.template.spec;
    assert.equal(agent.hostPID, true);
    assert.deepEqual(agent.nodeSelector, { 'kubevirt.io/schedulable': 'true' });
    const c = agent.containers[0];
    assert.deepEqual(c.securityContext, {
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      seccompProfile: { type: 'RuntimeDefault' },
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(
      Object.fromEntries(
        c.volumeMounts.map((m: { mountPath: string; readOnly: boolean }) => [m.mountPath, m.readOnly]),
      ),
      {
        '/host/proc': true,
        '/host/sys': true,
        '/host/sys/kernel/tracing': false,
        '/host/sys/kernel/debug': true,
        '/spool': false,
      },
    );
    assert.ok(c.args.includes('--host-root=/host'));
    const withQmp = one(render('agent.qmp.enabled=true'), 'DaemonSet').spec.template.spec.containers[0];
    assert.deepEqual(withQmp.securityContext.capabilities, { drop: ['ALL'], add: ['DAC_OVERRIDE'] });
    assert.ok(
      withQmp.volumeMounts.some(
        (m: { mountPath: string; readOnly: boolean }) => m.mountPath === '/host/qmp' && m.readOnly,
      ),
    );
  });

  it('takes secrets by reference and never as values', () => {
    const docs = render(
      'slack.existingSecret=spinwise-slack',
      'apiToken.existingSecret=spinwise-api',
      'kafka.sasl.mechanism=scram-sha-512',
      'kafka.sasl.existingSecret=kafka-user',
    );
    const env = one(docs, 'Deployment').spec.template.spec.containers[0].env as {
      name: string;
      valueFrom?: { secretKeyRef?: { name: string; key: string } };
    }[];
    const ref = (name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    assert.deepEqual(ref('SPINWISE_SLACK_WEBHOOK_URL'), { name: 'spinwise-slack', key: 'webhook-url' });
    assert.deepEqual(ref('SPINWISE_API_TOKEN'), { name: 'spinwise-api', key: 'token' });
    assert.deepEqual(ref('SPINWISE_KAFKA_PASSWORD'), { name: 'kafka-user', key: 'password' });
    const noSecret = helm('template', 'spinwise', CHART, '--set', 'kafka.sasl.mechanism=plain');
    assert.notEqual(noSecret.status, 0);
    assert.match(noSecret.stderr, /kafka\.sasl\.existingSecret is required with a SASL mechanism/);
  });

  it('rejects wrong values through values.schema.json, naming the value', () => {
    const cases: [string, RegExp][] = [
      ['advisor.replicas=0', /advisor\.replicas|replicas.*minimum/i],
      ['agent.interval=ten', /interval/],
      ['kafka.brokers=no-port', /brokers/],
      ['service.port=70000', /port/],
      ['surprise=1', /surprise|additional propert/i],
    ];
    for (const [set, message] of cases) {
      const out = helm('template', 'spinwise', CHART, '--set', set);
      assert.notEqual(out.status, 0, `${set} must be refused`);
      assert.match(out.stderr, message, set);
    }
    assert.ok(existsSync(join(CHART, 'values.schema.json')));
  });
});
