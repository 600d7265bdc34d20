import assert from 'node:assert/strict';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { before, describe, it } from 'node:test';
import { ensureTestCrds } from '../support/crds';
import { CHART, helm, VALUES_EXAMPLE } from '../support/helm';
import { kubeConfigAs, testKube } from '../support/kube';

/**
 * The chart installed into a real API server: server-side validation accepts every object (the
 * Deployment and DaemonSet are stored though no kubelet runs them), an upgrade with a changed
 * value rolls the pod templates, and uninstall removes everything the chart created.
 */
describe('helm install, upgrade and uninstall on a real kube-apiserver', () => {
  const kc = kubeConfigAs();
  const apps = kc.makeApiClient(AppsV1Api);
  const kubeconfig = () => testKube().kubeconfig;
  const h = (...args: string[]) => {
    const out = helm(...args, '--kubeconfig', kubeconfig());
    assert.equal(out.status, 0, `helm ${args.join(' ')}: ${out.stderr}`);
    return out.stdout;
  };
  const checksums = async (ns: string, release: string) => {
    const d = await apps.readNamespacedDeployment({ name: `${release}-spinwise-advisor`, namespace: ns });
    const ds = await apps.readNamespacedDaemonSet({ name: `${release}-spinwise-agent`, namespace: ns });
    return [
      d.spec!.template.metadata!.annotations!['checksum/config'],
      ds.spec!.template.metadata!.annotations!['checksum/config'],
    ];
  };

  before(() => ensureTestCrds(kc));

  it('installs with default values plus the monitors, upgrades (pods roll), and uninstalls without a trace', async () => {
    const ns = 'spinwise-helm';
    h(
      'install',
      'fleet',
      CHART,
      '--namespace',
      ns,
      '--create-namespace',
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.podMonitor.enabled=true',
    );
    const before = await checksums(ns, 'fleet');
    const ds = await apps.readNamespacedDaemonSet({ name: 'fleet-spinwise-agent', namespace: ns });
    assert.equal(ds.spec!.template.spec!.hostPID, true);
    assert.equal(
      (await apps.readNamespacedDeployment({ name: 'fleet-spinwise-advisor', namespace: ns })).spec!.replicas,
      2,
    );
    const custom = kc.makeApiClient(CustomObjectsApi);
    const monitors = await custom.listNamespacedCustomObject({
      group: 'monitoring.coreos.com',
      version: 'v1',
      namespace: ns,
      plural: 'servicemonitors',
    });
    assert.equal((monitors as { items: unknown[] }).items.length, 1);

    h('upgrade', 'fleet', CHART, '--namespace', ns, '--reuse-values', '--set', 'agent.interval=30s');
    const after = await checksums(ns, 'fleet');
    assert.notEqual(after[0], before[0], 'the advisor’s pod template changed');
    assert.notEqual(after[1], before[1], 'the agent’s pod template changed');
    assert.match(h('status', 'fleet', '--namespace', ns), /REVISION: 2/);

    h('uninstall', 'fleet', '--namespace', ns, '--wait');
    const selector = 'app.kubernetes.io/instance=fleet';
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const left = [
      ...(await apps.listNamespacedDeployment({ namespace: ns, labelSelector: selector })).items,
      ...(await apps.listNamespacedDaemonSet({ namespace: ns, labelSelector: selector })).items,
      ...(await core.listNamespacedConfigMap({ namespace: ns, labelSelector: selector })).items,
      ...(await core.listNamespacedServiceAccount({ namespace: ns, labelSelector: selector })).items,
      ...(await core.listNamespacedService({ namespace: ns, labelSelector: selector })).items,
      ...(await rbac.listClusterRole({ labelSelector: selector })).items,
      ...(await rbac.listClusterRoleBinding({ labelSelector: selector })).items,
      ...(await rbac.listNamespacedRole({ namespace: ns, labelSelector: selector })).items,
    ];
    assert.deepEqual(
      left.map((o) => o.metadata?.name),
      [],
      'nothing of the release is left',
    );
    const stillMonitors = await custom.listNamespacedCustomObject({
      group: 'monitoring.coreos.com',
      version: 'v1',
      namespace: ns,
      plural: 'servicemonitors',
    });
    assert.equal((stillMonitors as { items: unknown[] }).items.length, 0);
  });

  it('installs on a cluster that serves OpenShift SCCs (auto): the SCC, the alert rule, the NetworkPolicy', async () => {
    const ns = 'spinwise-openshift';
    h(
      'install',
      'ocp',
      CHART,
      '--namespace',
      ns,
      '--create-namespace',
      '--set',
      'prometheusRule.enabled=true',
      '--set',
      'networkPolicy.enabled=true',
    );
    const custom = kc.makeApiClient(CustomObjectsApi);
    const scc = (await custom.getClusterCustomObject({
      group: 'security.openshift.io',
      version: 'v1',
      plural: 'securitycontextconstraints',
      name: 'ocp-spinwise-agent',
    })) as { allowHostPID: boolean; users: string[] };
    assert.equal(scc.allowHostPID, true);
    assert.deepEqual(scc.users, [`system:serviceaccount:${ns}:ocp-spinwise-agent`]);
    const rules = (await custom.listNamespacedCustomObject({
      group: 'monitoring.coreos.com',
      version: 'v1',
      namespace: ns,
      plural: 'prometheusrules',
    })) as { items: { spec: { groups: unknown[] } }[] };
    assert.equal(rules.items[0]!.spec.groups.length, 3);
    const policies = await kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: ns });
    assert.equal(policies.items.length, 1);
    const ds = await apps.readNamespacedDaemonSet({ name: 'ocp-spinwise-agent', namespace: ns });
    assert.equal(ds.spec!.template.metadata!.annotations!['openshift.io/required-scc'], 'ocp-spinwise-agent');
    h('uninstall', 'ocp', '--namespace', ns, '--wait');
  });

  it('installs with deploy/values-example.yaml', async () => {
    const ns = 'spinwise-example';
    h('install', 'prod', CHART, '--namespace', ns, '--create-namespace', '-f', VALUES_EXAMPLE);
    const d = await apps.readNamespacedDeployment({ name: 'prod-spinwise-advisor', namespace: ns });
    assert.equal(d.spec!.replicas, 3);
    assert.ok(d.spec!.template.spec!.volumes!.some((v) => v.name === 'kafka-ca'));
    h('uninstall', 'prod', '--namespace', ns, '--wait');
  });
});
