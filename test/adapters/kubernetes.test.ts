import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClusterWatch } from '../../src/adapters/kubernetes/cluster-watch';
import { ClusterWriter, RECOMMENDATION_ANNOTATION } from '../../src/adapters/kubernetes/cluster-writer';
import { LeaseLeader } from '../../src/adapters/kubernetes/lease-leader';
import { ADVISOR_CLUSTER_RULES, ADVISOR_NAMESPACE_RULES } from '../../src/adapters/kubernetes/rbac';
import type { AlertEvent } from '../../src/advisor/alerts/alert-tracker';
import { KubernetesPublisher } from '../../src/advisor/kubernetes-publisher';
import type { NodeAnalysis, NodeInventory, Recommendation } from '../../src/telemetry';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver';
import { waitFor } from '../support/wait';

const node = (name: string, kernel: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: { nodeInfo: { kernelVersion: kernel }, allocatable: { cpu } },
});
const vmi = (namespace: string, name: string, nodeName: string, cpu: object) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { namespace, name },
  spec: { domain: { cpu } },
  status: { nodeName },
});

const inventory = {
  node: 'kvm-1',
  vms: [{ name: 'default_web-1', pid: 10, vcpus: [], kubevirt: { namespace: 'default', vmi: 'web-1' } }],
} as unknown as NodeInventory;

const recommendation: Recommendation = {
  kind: 'kernel',
  summary: 'run a kernel with the debooster and strict boost (VEE 2021 patches)',
  target: 'ple-kvm',
  predicted: { pleExits: { change: -0.9, ci95: 0.02 }, usefulNs: { change: 0.2, ci95: 0.01 } },
  confidence: 0.87,
  brokenAssumptions: [],
  evidence: [],
};

describe('Kubernetes integration against an API server stand-in that speaks the real JSON', () => {
  const api = new FakeKubeApiServer();
  before(async () => {
    await api.start();
    api.put('', 'nodes', node('kvm-1', '5.15.0-91-generic', '64'));
    api.put('', 'nodes', node('kvm-2', '6.8.0-45-generic', '63500m'));
    api.put(
      'kubevirt.io',
      'virtualmachineinstances',
      vmi('default', 'web-1', 'kvm-1', { cores: 4, dedicatedCpuPlacement: true }),
    );
  });
  after(() => api.stop());

  it('watches Nodes (kernel, allocatable CPUs) and VMIs (vCPUs, dedicated placement, node), seeing changes as they happen', async () => {
    const watch = new ClusterWatch(api.kubeConfig());
    await watch.start();
    try {
      assert.deepEqual(watch.nodes(), [
        { name: 'kvm-1', kernel: '5.15.0-91-generic', allocatableCpus: 64 },
        { name: 'kvm-2', kernel: '6.8.0-45-generic', allocatableCpus: 63.5 },
      ]);
      assert.deepEqual(watch.vmis(), [
        { namespace: 'default', name: 'web-1', nodeName: 'kvm-1', vcpus: 4, dedicatedCpus: true },
      ]);
      assert.deepEqual(
        [watch.allocatableCpusOf('kvm-2'), watch.allocatableCpusOf('nope')],
        [63.5, undefined],
      );
      api.put(
        'kubevirt.io',
        'virtualmachineinstances',
        vmi('batch', 'etl', 'kvm-2', { sockets: 2, cores: 4, threads: 2 }),
      );
      await waitFor('the new VMI through the watch', () => watch.vmis().length === 2, 10_000);
      assert.deepEqual(watch.vmis()[0], {
        namespace: 'batch',
        name: 'etl',
        nodeName: 'kvm-2',
        vcpus: 16,
        dedicatedCpus: false,
      });
    } finally {
      await watch.stop();
    }
  });

  it('publishes an alert as Events on the Node and its VMIs, the top recommendation as a node annotation, and moves as VMI Events and migrations', async () => {
    const printed: string[] = [];
    const writer = new ClusterWriter(api.kubeConfig(), 'spinwise-advisor-0');
    const publisher = new KubernetesPublisher(writer, (n) => (n === 'kvm-1' ? inventory : undefined), {
      migrate: true,
      dryRun: true,
      print: (l) => printed.push(l),
    });
    const alert: AlertEvent = {
      node: 'kvm-1',
      transition: 'raised',
      finding: {
        kind: 'ple-rate',
        vm: 'default_web-1',
        severity: 'critical',
        value: 25000,
        threshold: 10000,
        message: 'default_web-1: 25,000 PLE exits per vCPU-second',
      },
      vms: ['default_web-1'],
      topRecommendation: recommendation,
      atMs: 0,
    };
    await publisher.onAlert(alert);
    const events = api.list('', 'events');
    assert.deepEqual(
      events.map((e) => [
        e.metadata.namespace,
        (e.involvedObject as { kind: string; name: string }).kind,
        (e.involvedObject as { name: string }).name,
        e.type,
        e.reason,
      ]),
      [
        ['default', 'Node', 'kvm-1', 'Warning', 'ExcessiveVcpuSpinning'],
        ['default', 'VirtualMachineInstance', 'web-1', 'Warning', 'ExcessiveVcpuSpinning'],
      ],
    );
    assert.equal(
      events[0]!.message,
      'default_web-1: 25,000 PLE exits per vCPU-second (ple-rate, threshold 10000; VMs default_web-1). Recommended: run a kernel with the debooster and strict boost (VEE 2021 patches) (PLE exits −90 %, useful time +20 %)',
    );
    assert.equal((events[0]!.source as { component: string }).component, 'spinwise-advisor');

    const analysis = {
      node: 'kvm-1',
      windowEndMs: 60_000,
      recommendations: [recommendation],
    } as unknown as NodeAnalysis;
    await publisher.onAnalysis(analysis);
    await publisher.onAnalysis({ ...analysis, windowEndMs: 120_000 }); // same recommendation: no second patch
    const annotation = () =>
      (
        api.list('', 'nodes').find((n) => n.metadata.name === 'kvm-1')!.metadata.annotations as
          Record<string, string> | undefined
      )?.[RECOMMENDATION_ANNOTATION];
    assert.deepEqual(JSON.parse(annotation()!), {
      kind: 'kernel',
      target: 'ple-kvm',
      summary: recommendation.summary,
      pleExits: -0.9,
      usefulNs: 0.2,
      confidence: 0.87,
      windowEndMs: 60_000,
    });
    assert.equal(api.calls.filter((c) => c.verb === 'patch').length, 1);
    assert.equal(api.calls.find((c) => c.verb === 'patch')!.contentType, 'application/merge-patch+json');
    await publisher.onAnalysis({ ...analysis, recommendations: [] });
    assert.equal(annotation(), undefined, 'no recommendation any more: the annotation is removed');

    const move = {
      schema: 'spinwise.recommendation.v1' as const,
      node: 'kvm-1',
      generatedAtMs: 0,
      vm: 'default_web-1',
      toNode: 'kvm-2',
      recommendation: {
        ...recommendation,
        kind: 'move' as const,
        target: 'kvm-2',
        summary: 'live-migrate default_web-1 (4 vCPUs) from kvm-1 to kvm-2',
        evidence: ['kvm-1: spin time −80 %'],
      },
    };
    await publisher.onPlan([move]);
    assert.deepEqual(
      printed.map((l) => JSON.parse(l)),
      [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: {
            generateName: 'spinwise-web-1-',
            namespace: 'default',
            labels: { 'app.kubernetes.io/managed-by': 'spinwise' },
          },
          spec: { vmiName: 'web-1' },
        },
      ],
    );
    assert.equal(
      api.list('kubevirt.io', 'virtualmachineinstancemigrations').length,
      0,
      '--dry-run creates nothing',
    );
    const live = new KubernetesPublisher(writer, () => inventory, { migrate: true });
    await live.onPlan([move]);
    const [migration] = api.list('kubevirt.io', 'virtualmachineinstancemigrations');
    assert.deepEqual(
      [migration!.metadata.namespace, (migration!.spec as { vmiName: string }).vmiName],
      ['default', 'web-1'],
    );
    assert.equal(api.list('', 'events').filter((e) => e.reason === 'SpinwiseMoveRecommended').length, 2);
    assert.equal(publisher.failures + live.failures, 0);
    const watched = new KubernetesPublisher(
      writer,
      () => undefined,
      {},
      (n) =>
        n === 'kvm-2'
          ? [{ namespace: 'batch', name: 'etl', nodeName: 'kvm-2', vcpus: 16, dedicatedCpus: false }]
          : [],
    );
    assert.deepEqual(
      watched.vmiOf('kvm-2', 'etl'),
      { namespace: 'batch', name: 'etl' },
      'found through the watch',
    );
    assert.equal(watched.vmiOf('kvm-1', 'etl'), null, 'not on that node');
  });

  it('elects one planner leader with a Lease; when it stops renewing, another takes over after the lease expires', async () => {
    let nowMs = Date.parse('2026-11-25T12:00:00Z');
    const elector = (identity: string) =>
      new LeaseLeader(api.kubeConfig(), {
        namespace: 'spinwise',
        identity,
        leaseDurationSeconds: 15,
        now: () => nowMs,
      });
    const a = elector('advisor-a');
    const b = elector('advisor-b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    nowMs += 10_000;
    assert.equal(await a.tryAcquireOrRenew(), true, 'the leader renews');
    nowMs += 10_000;
    assert.equal(await b.tryAcquireOrRenew(), false, 'renewed 10 s ago: not expired');
    nowMs += 16_000; // a has stopped renewing
    assert.equal(await b.tryAcquireOrRenew(), true, 'expired: b takes over');
    assert.equal(await a.tryAcquireOrRenew(), false);
    const [lease] = api.list('coordination.k8s.io', 'leases');
    assert.deepEqual(
      [
        (lease!.spec as { holderIdentity: string }).holderIdentity,
        (lease!.spec as { leaseTransitions: number }).leaseTransitions,
      ],
      ['advisor-b', 1],
    );
  });

  it('uses exactly the API verbs its RBAC rules grant (the chart renders these rules)', () => {
    const used = new Set(api.calls.map((c) => `${c.group}/${c.resource}/${c.verb}`));
    const granted = new Set(
      [...ADVISOR_CLUSTER_RULES, ...ADVISOR_NAMESPACE_RULES].flatMap((r) =>
        r.resources.flatMap((res) => r.verbs.map((v) => `${r.apiGroups[0]}/${res}/${v}`)),
      ),
    );
    assert.deepEqual([...used].sort(), [...granted].sort());
  });
});
