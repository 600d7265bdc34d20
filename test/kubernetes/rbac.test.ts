import assert from 'node:assert/strict';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { after, before, describe, it } from 'node:test';
import { ClusterWatch } from '../../src/adapters/kubernetes/cluster-watch';
import { ClusterWriter } from '../../src/adapters/kubernetes/cluster-writer';
import { LeaseLeader } from '../../src/adapters/kubernetes/lease-leader';
import { KubernetesPublisher } from '../../src/advisor/outputs/kubernetes-publisher';
import type { NodeAnalysis, NodeInventory, RecommendationMessage } from '../../src/telemetry';
import { ensureTestCrds } from '../support/crds';
import { renderIn } from '../support/helm';
import { kubeConfigAs } from '../support/kube';

const NAMESPACE = 'spinwise-rbac';
const forbidden = (err: { code?: number }) => err.code === 403;

/**
 * RBAC proven on a real API server: the chart's ServiceAccount, ClusterRole, Role and bindings are
 * applied, a token is minted for the ServiceAccount, and the advisor's own Kubernetes code runs
 * with it. Every call it makes must succeed; anything outside the role must be refused with 403.
 */
describe('the chart’s RBAC on a real kube-apiserver', () => {
  let admin: KubeConfig;
  let advisor: KubeConfig;
  const created: KubernetesObject[] = [];

  before(async () => {
    admin = kubeConfigAs();
    await ensureTestCrds(admin);
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await core.createNode({
      body: { metadata: { name: 'kvm-rbac' }, status: { allocatable: { cpu: '32' } } } as never,
    });
    const objects = admin.makeApiClient(KubernetesObjectApi);
    const docs = renderIn(NAMESPACE, 'advisor.migrate=true').filter((d) =>
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(d.kind),
    );
    for (const d of docs) {
      const body = {
        ...d,
        metadata: { ...d.metadata, namespace: d.kind.startsWith('Cluster') ? undefined : NAMESPACE },
      };
      created.push(await objects.create(body));
    }
    const sa = docs.find((d) => d.kind === 'ServiceAccount' && d.metadata.name.endsWith('-advisor'))!;
    const token = await core.createNamespacedServiceAccountToken({
      name: sa.metadata.name,
      namespace: NAMESPACE,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    advisor = kubeConfigAs(token.status!.token, sa.metadata.name);
  });
  after(async () => {
    const objects = admin.makeApiClient(KubernetesObjectApi);
    for (const o of created.reverse()) await objects.delete(o).catch(() => undefined);
    await admin
      .makeApiClient(CoreV1Api)
      .deleteNode({ name: 'kvm-rbac' })
      .catch(() => undefined);
  });

  it('lets the advisor’s code make every call it makes: watches, Events, the node annotation, migrations, the Lease', async () => {
    const logs: string[] = [];
    const watch = new ClusterWatch(advisor, (l) => logs.push(l));
    await watch.start();
    try {
      assert.ok(
        watch.nodes().some((n) => n.name === 'kvm-rbac'),
        'lists and watches Nodes',
      );
      assert.equal(watch.vmisAvailable, true, `lists and watches VMIs (${logs.join('; ')})`);
    } finally {
      await watch.stop();
    }
    const inventory = {
      node: 'kvm-rbac',
      vms: [{ name: 'default_db-0', pid: 1, vcpus: [], kubevirt: { namespace: 'default', vmi: 'db-0' } }],
    } as unknown as NodeInventory;
    const publisher = new KubernetesPublisher(new ClusterWriter(advisor, 'advisor-0'), () => inventory, {
      migrate: true,
      log: (l) => logs.push(l),
    });
    const recommendation = {
      kind: 'kernel' as const,
      summary: 'upgrade',
      target: 'stock-6.19',
      predicted: { pleExits: { change: -0.5, ci95: 0.1 }, usefulNs: { change: 0.1, ci95: 0.05 } },
      confidence: 0.8,
      brokenAssumptions: [],
      evidence: [],
    };
    await publisher.onAlert({
      node: 'kvm-rbac',
      transition: 'raised',
      finding: {
        kind: 'ple-rate',
        vm: 'default_db-0',
        severity: 'critical',
        value: 20_000,
        threshold: 10_000,
        message: 'm',
      },
      vms: ['default_db-0'],
      atMs: 0,
    });
    await publisher.onAnalysis({
      node: 'kvm-rbac',
      windowEndMs: 1,
      recommendations: [recommendation],
    } as unknown as NodeAnalysis);
    const move: RecommendationMessage = {
      schema: 'spinwise.recommendation.v1',
      node: 'kvm-rbac',
      generatedAtMs: 0,
      vm: 'default_db-0',
      toNode: 'kvm-other',
      recommendation: { ...recommendation, kind: 'move', target: 'kvm-other' },
    };
    await publisher.onPlan([move]);
    assert.deepEqual([...logs], [], 'no call was refused');
    assert.equal(publisher.failures, 0);
    assert.equal(publisher.writes, 5, 'two Events, an annotation, a move Event and a migration');
    const leader = new LeaseLeader(advisor, {
      namespace: NAMESPACE,
      identity: 'advisor-0',
      log: (l) => logs.push(l),
    });
    assert.equal(await leader.tryAcquireOrRenew(), true, 'creates the Lease');
    assert.equal(await leader.tryAcquireOrRenew(), true, 'reads and renews it');
    await leader.stop();
    assert.deepEqual([...logs], []);
  });

  it('refuses with 403 what the role does not grant', async () => {
    const core = advisor.makeApiClient(CoreV1Api);
    await assert.rejects(core.deleteNode({ name: 'kvm-rbac' }), forbidden, 'delete a Node');
    await assert.rejects(core.listNamespacedSecret({ namespace: NAMESPACE }), forbidden, 'read Secrets');
    await assert.rejects(core.listSecretForAllNamespaces(), forbidden, 'read Secrets cluster-wide');
    await assert.rejects(core.listNamespacedPod({ namespace: 'default' }), forbidden, 'list Pods');
    await assert.rejects(
      advisor.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: 'kube-system' }),
      forbidden,
      'Leases outside its namespace',
    );
    await assert.rejects(core.patchNodeStatus({ name: 'kvm-rbac', body: {} }), forbidden, 'node status');
  });
});
