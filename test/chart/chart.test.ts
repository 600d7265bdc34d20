import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ADVISOR_NAMESPACE_RULES, advisorClusterRules } from '../../src/adapters/kubernetes/rbac';
import { valuesTable, withValuesTable } from '../../deploy/dev/chart-values-doc';
import { CHART, helm, render, renderIn, VALUES_EXAMPLE, type Doc } from '../support/helm';

const one = (docs: Doc[], kind: string, nameEnds = '') => {
  const found = docs.filter((d) => d.kind === kind && d.metadata.name.endsWith(nameEnds));
  assert.equal(found.length, 1, `one ${kind} *${nameEnds}`);
  return found[0]!;
};
const podTemplate = (docs: Doc[], kind: 'Deployment' | 'DaemonSet') => one(docs, kind).spec.template;

describe('Helm chart charts/spinwise (real helm)', () => {
  it('passes helm lint --strict with default values, deploy/values-example.yaml, and every optional part on', () => {
    const everything = [
      'prometheusRule.enabled=true',
      'networkPolicy.enabled=true',
      'openshift.scc=true',
      'metrics.serviceMonitor.enabled=true',
      'metrics.podMonitor.enabled=true',
      'kafka.clientCert.agentSecret=agent-user',
    ].flatMap((v) => ['--set', v]);
    for (const extra of [[], ['-f', VALUES_EXAMPLE], everything]) {
      const out = helm('lint', '--strict', CHART, ...extra);
      assert.equal(out.status, 0, out.stdout + out.stderr);
      assert.match(out.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders the agent DaemonSet, the advisor Deployment with its Service and PDB, RBAC and config', () => {
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
        'Pod', // helm test
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
    assert.deepEqual(
      advisor.spec.template.spec.topologySpreadConstraints[0].topologyKey,
      'kubernetes.io/hostname',
    );
    assert.equal(
      render('advisor.replicas=1').filter((d) => d.kind === 'PodDisruptionBudget').length,
      0,
      'no PDB for one replica',
    );
  });

  it('rolls the pods when the configuration changes (checksum/config)', () => {
    const sum = (docs: Doc[], kind: 'Deployment' | 'DaemonSet') =>
      podTemplate(docs, kind).metadata.annotations['checksum/config'];
    const before = render();
    const after = render('agent.interval=30s');
    for (const kind of ['Deployment', 'DaemonSet'] as const) {
      assert.match(sum(before, kind), /^[0-9a-f]{64}$/);
      assert.notEqual(sum(before, kind), sum(after, kind), kind);
    }
  });

  it('grants the advisor exactly the Kubernetes API verbs the code uses with the same values, and the agent none', () => {
    const cases: [string[], { createMigrations: boolean; annotateNodes: boolean }][] = [
      [[], { createMigrations: false, annotateNodes: true }],
      [['advisor.migrate=true'], { createMigrations: true, annotateNodes: true }],
      [['advisor.migrate=true', 'advisor.dryRun=true'], { createMigrations: false, annotateNodes: true }],
      [['advisor.annotateNodes=false'], { createMigrations: false, annotateNodes: false }],
    ];
    for (const [set, options] of cases) {
      const docs = render(...set);
      assert.deepEqual(one(docs, 'ClusterRole').rules, advisorClusterRules(options), set.join(' '));
      assert.deepEqual(one(docs, 'Role').rules, ADVISOR_NAMESPACE_RULES);
    }
    assert.ok(
      podTemplate(render('advisor.annotateNodes=false'), 'Deployment').spec.containers[0].args.includes(
        '--no-annotate-nodes',
      ),
    );
    const docs = render();
    const agentSa = one(docs, 'ServiceAccount', '-agent');
    assert.equal(agentSa.automountServiceAccountToken, false);
    const bound = docs
      .filter((d) => d.kind.endsWith('Binding'))
      .flatMap((b) => b.subjects.map((s: { name: string }) => s.name));
    assert.ok(!bound.includes(agentSa.metadata.name), 'no role is bound to the agent');
    const noRbac = render(
      'rbac.create=false',
      'serviceAccount.create=false',
      'serviceAccount.name=platform-sa',
    );
    assert.deepEqual(
      noRbac.filter((d) => /Role|ServiceAccount/.test(d.kind)),
      [],
    );
    assert.equal(podTemplate(noRbac, 'Deployment').spec.serviceAccountName, 'platform-sa');
  });

  it('runs the agent in the host PID namespace with no capabilities, host files read-only except tracefs and its spool, on every KubeVirt node', () => {
    const agent = podTemplate(render(), 'DaemonSet').spec;
    assert.equal(agent.hostPID, true);
    // On every node KubeVirt has labelled, "true" or not: virt-handler sets "false" while it restarts.
    assert.deepEqual(agent.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubevirt.io/schedulable', operator: 'Exists' }] }],
    });
    assert.equal(agent.nodeSelector, undefined);
    assert.equal(agent.containers[0].resources.limits.cpu, undefined, 'no CPU limit on the sampler');
    const placed = podTemplate(
      render('agent.affinity.nodeAffinity.x=1', 'agent.nodeSelector.pool=kvm'),
      'DaemonSet',
    );
    assert.deepEqual(placed.spec.affinity, { nodeAffinity: { x: 1 } });
    assert.deepEqual(placed.spec.nodeSelector, { pool: 'kvm' });
    assert.deepEqual(agent.tolerations, [{ operator: 'Exists' }], 'every taint tolerated');
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
    assert.ok(c.args.includes('--metrics-port=9464'));
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.ok(c.args.includes('--metrics-host=$(POD_IP)'), 'the endpoint listens on the pod IP only');
    assert.deepEqual(c.env.find((e: { name: string }) => e.name === 'POD_IP').valueFrom, {
      fieldRef: { fieldPath: 'status.podIP' },
    });
    const withQmp = podTemplate(render('agent.qmp.enabled=true', 'agent.qmp.socketDir=/run/qmp'), 'DaemonSet')
      .spec.containers[0];
    assert.deepEqual(withQmp.securityContext.capabilities, {
      drop: ['ALL'],
      add: ['DAC_OVERRIDE', 'SYS_PTRACE'],
    });
    assert.ok(withQmp.args.includes('--qmp-socket-dir=/host/qmp'));
    assert.ok(
      withQmp.volumeMounts.some(
        (m: { mountPath: string; readOnly: boolean }) => m.mountPath === '/host/qmp' && m.readOnly,
      ),
    );
  });

  it('follows the conventions of community charts: names, labels, extras, monitors, subchart globals', () => {
    const docs = render(
      'fullnameOverride=vcpu-advisor',
      'commonLabels.team=virt',
      'advisor.podLabels.tier=ops',
      'agent.podAnnotations.note=x',
      'imagePullSecrets[0].name=regcred',
      'advisor.priorityClassName=system-cluster-critical',
      'agent.extraArgs[0]=--qmp-socket-dir=/run/qmp',
      'advisor.extraEnv[0].name=NODE_OPTIONS',
      'advisor.extraEnv[0].value=--max-old-space-size=1536',
      'metrics.serviceMonitor.enabled=true',
      'metrics.podMonitor.enabled=true',
      'global.imageRegistry=registry.example.com',
    );
    assert.ok(
      docs.every((d) => d.metadata.labels?.team === 'virt'),
      'commonLabels everywhere',
    );
    assert.equal(one(docs, 'Deployment').metadata.name, 'vcpu-advisor-advisor');
    const advisor = podTemplate(docs, 'Deployment');
    assert.equal(advisor.metadata.labels.tier, 'ops');
    assert.deepEqual(advisor.spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(advisor.spec.priorityClassName, 'system-cluster-critical');
    assert.ok(advisor.spec.containers[0].env.some((e: { name: string }) => e.name === 'NODE_OPTIONS'));
    const agent = podTemplate(docs, 'DaemonSet');
    assert.equal(agent.metadata.annotations.note, 'x');
    assert.ok(agent.spec.containers[0].args.includes('--qmp-socket-dir=/run/qmp'));
    assert.deepEqual(one(docs, 'ServiceMonitor').spec.endpoints[0].port, 'http');
    assert.deepEqual(one(docs, 'PodMonitor').spec.podMetricsEndpoints[0].port, 'metrics');
    // A VMI's namespace label survives the scrape (not renamed exported_namespace).
    assert.equal(one(docs, 'ServiceMonitor').spec.endpoints[0].honorLabels, true);
    assert.equal(one(docs, 'PodMonitor').spec.podMetricsEndpoints[0].honorLabels, true);
    // Full labels on pods, for selection by version and release.
    assert.equal(agent.metadata.labels['app.kubernetes.io/version'], '0.1.0');
    assert.equal(advisor.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    assert.equal(advisor.spec.containers[0].image, 'registry.example.com/ghcr.io/spinwise/spinwise:0.1.0');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(
      podTemplate(render(`image.digest=${digest}`), 'DaemonSet').spec.containers[0].image,
      `ghcr.io/spinwise/spinwise@${digest}`,
    );
    assert.equal(
      render('nameOverride=kvm').find((d) => d.kind === 'Deployment')!.metadata.name,
      'spinwise-kvm-advisor',
    );
  });

  it('mounts a Kafka CA bundle through extraVolumes and passes SPINWISE_KAFKA_CA_FILE and the replication factor', () => {
    const docs = render(`-f=${VALUES_EXAMPLE}`);
    for (const kind of ['Deployment', 'DaemonSet'] as const) {
      const c = podTemplate(docs, kind).spec.containers[0];
      const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      assert.equal(env.SPINWISE_KAFKA_CA_FILE, '/etc/spinwise/kafka-ca/ca.crt', kind);
      assert.ok('SPINWISE_KAFKA_REPLICATION_FACTOR' in env, kind);
      assert.ok(
        c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/etc/spinwise/kafka-ca'),
        kind,
      );
    }
    assert.equal(one(docs, 'ConfigMap', 'spinwise').data['kafka-replication-factor'], '3');
    assert.equal(one(docs, 'ConfigMap', 'spinwise').data['influxdb-retention'], '30d');
  });

  it('ships the Prometheus Grafana dashboard, and the InfluxDB one with an InfluxDB URL, each with its data source a variable', () => {
    const prometheusOnly = one(render(), 'ConfigMap', '-grafana-dashboard');
    assert.deepEqual(Object.keys(prometheusOnly.data), ['spinwise-prometheus.json']);
    const dashboard = one(render('influxdb.url=http://influxdb:8086'), 'ConfigMap', '-grafana-dashboard');
    assert.equal(dashboard.metadata.labels!.grafana_dashboard, '1');
    for (const [file, uid, type] of [
      ['spinwise.json', 'spinwise', 'influxdb'],
      ['spinwise-prometheus.json', 'spinwise-prometheus', 'prometheus'],
    ] as const) {
      const json = JSON.parse(dashboard.data[file]);
      assert.equal(json.uid, uid);
      const variable = json.templating.list.find((v: { name: string }) => v.name === 'datasource');
      assert.deepEqual([variable.type, variable.query], ['datasource', type]);
      assert.ok(
        json.panels.every(
          (p: { datasource?: { uid: string } }) => !p.datasource || p.datasource.uid === '${datasource}',
        ),
      );
      // No interval written into a query: Grafana's ($__interval, $__rate_interval) decides.
      assert.doesNotMatch(JSON.stringify(json), /time\(\d+[sm]\)|\[\d+[sm]\]/, file);
    }
  });

  it('renders the alerts as a PrometheusRule: the promtool-tested groups, runbooks where the value points', () => {
    assert.equal(render().filter((d) => d.kind === 'PrometheusRule').length, 0);
    const rule = one(
      render(
        'prometheusRule.enabled=true',
        'prometheusRule.labels.release=kps',
        'prometheusRule.runbookBaseUrl=https://wiki.example/rb/',
      ),
      'PrometheusRule',
    );
    assert.equal(rule.metadata.labels!.release, 'kps');
    const file = parseYaml(readFileSync(join(CHART, 'files', 'prometheus-rules.yaml'), 'utf8')) as {
      groups: { rules: { alert?: string; annotations?: { runbook_url: string } }[] }[];
    };
    for (const g of file.groups)
      for (const r of g.rules)
        if (r.annotations) r.annotations.runbook_url = `https://wiki.example/rb/${r.alert}.md`;
    assert.deepEqual(rule.spec, file);
  });

  it("on OpenShift: an SCC with the agent's needs and nothing more, required by its pods, SELinux spc_t; a NetworkPolicy; a helm test", () => {
    const none = render();
    assert.equal(none.filter((d) => d.kind === 'SecurityContextConstraints').length, 0);
    const docs = renderIn('virt', '--api-versions=security.openshift.io/v1');
    const scc = one(docs, 'SecurityContextConstraints');
    assert.equal(scc.allowHostPID, true);
    assert.equal(scc.allowPrivilegedContainer, false);
    assert.equal(scc.allowHostNetwork, false);
    assert.deepEqual(scc.allowedCapabilities, []);
    assert.deepEqual(scc.users, ['system:serviceaccount:virt:spinwise-agent']);
    const agent = podTemplate(docs, 'DaemonSet');
    assert.equal(agent.metadata.annotations['openshift.io/required-scc'], 'spinwise-agent');
    assert.deepEqual(agent.spec.containers[0].securityContext.seLinuxOptions, { type: 'spc_t' });
    const qmp = one(
      renderIn('virt', 'openshift.scc=true', 'agent.qmp.enabled=true'),
      'SecurityContextConstraints',
    );
    assert.deepEqual(qmp.allowedCapabilities, ['DAC_OVERRIDE', 'SYS_PTRACE']);

    const policy = one(render('networkPolicy.enabled=true'), 'NetworkPolicy');
    assert.deepEqual(policy.spec.podSelector.matchLabels['app.kubernetes.io/component'], 'advisor');
    assert.deepEqual(policy.spec.ingress[0].ports, [{ port: 'http', protocol: 'TCP' }]);

    const test = one(none, 'Pod', '-test');
    assert.equal(test.metadata.annotations!['helm.sh/hook'], 'test');
    assert.match(test.spec.containers[0].command.join(' '), /\/readyz.*\/api\/nodes/s);
  });

  it('gives agents and advisors their own Kafka principals: per-component SASL Secrets or client certificates', () => {
    const docs = render(
      'kafka.sasl.mechanism=scram-sha-512',
      'kafka.sasl.existingSecret=shared',
      'kafka.sasl.agentSecret=agent-sasl',
      'kafka.clientCert.agentSecret=agent-user',
      'kafka.clientCert.advisorSecret=advisor-user',
    );
    type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } };
    for (const [kind, sasl, certSecret] of [
      ['DaemonSet', 'agent-sasl', 'agent-user'],
      ['Deployment', 'shared', 'advisor-user'],
    ] as const) {
      const pod = podTemplate(docs, kind).spec;
      const env = pod.containers[0].env as Env[];
      const get = (n: string) => env.find((e) => e.name === n);
      assert.equal(get('SPINWISE_KAFKA_USERNAME')!.valueFrom!.secretKeyRef!.name, sasl, kind);
      assert.equal(get('SPINWISE_KAFKA_CERT_FILE')!.value, '/etc/spinwise/kafka-client/user.crt');
      assert.equal(get('SPINWISE_KAFKA_KEY_FILE')!.value, '/etc/spinwise/kafka-client/user.key');
      assert.ok(
        pod.volumes.some((v: { secret?: { secretName: string } }) => v.secret?.secretName === certSecret),
        kind,
      );
      assert.ok(
        pod.containers[0].volumeMounts.some(
          (m: { mountPath: string; readOnly: boolean }) =>
            m.mountPath === '/etc/spinwise/kafka-client' && m.readOnly,
        ),
        kind,
      );
    }
    const advisor = podTemplate(render('advisor.forgetNodesAfter=36h'), 'Deployment').spec.containers[0];
    assert.ok(advisor.args.includes('--forget-nodes-after=36h'));
    assert.equal(podTemplate(render(), 'Deployment').spec.volumes, undefined, 'no volumes unless asked');
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

  it('documents every value: a description in values.schema.json, and the README table generated from them is current', () => {
    const table = valuesTable();
    const undocumented = table
      .split('\n')
      .slice(2)
      .filter((row) => /\|\s*\|$/.test(row));
    assert.deepEqual(undocumented, [], 'values without a description');
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    assert.equal(
      readme,
      withValuesTable(readme, table),
      'charts/spinwise/README.md is stale: npm run chart-docs',
    );
  });

  it('rejects wrong values through values.schema.json, naming the value', () => {
    const cases: [string, RegExp][] = [
      ['advisor.replicas=0', /advisor\.replicas|replicas.*minimum/i],
      ['agent.interval=ten', /agent\.interval/],
      ['agent.interval=0s', /agent\.interval/],
      ['agent.interval=-5s', /agent\.interval/],
      ['kafka.brokers=no-port', /brokers/],
      ['kafka.replicationFactor=-1', /replicationFactor/],
      ['influxdb.retention=forever', /influxdb\.retention/],
      ['service.port=70000', /port/],
      ['metrics.serviceMonitor.enabled=yes', /serviceMonitor\.enabled/],
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
