import {
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';

/**
 * The CRDs the tests need on the real API server. KubeVirt's VirtualMachineInstance and
 * VirtualMachineInstanceMigration (kubevirt.io/v1) and the Prometheus Operator's ServiceMonitor
 * and PodMonitor (monitoring.coreos.com/v1) get *structural schemas that preserve unknown
 * fields*, not the projects' generated ones: those come from their own repositories, which this
 * machine cannot fetch. The server still validates everything a CRD enforces of its kind:
 * group, version, names, scope and that spec/status are objects.
 */
function crd(
  group: string,
  kind: string,
  plural: string,
  withStatus: boolean,
  /** OpenShift's SCC: cluster-scoped, its fields at the top level rather than under spec. */
  shape: { cluster?: boolean; topLevelFields?: boolean } = {},
): V1CustomResourceDefinition {
  // client-node serialises its models by their TypeScript names (x_kubernetes_…), not the JSON ones.
  const object = { type: 'object', x_kubernetes_preserve_unknown_fields: true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: shape.cluster ? 'Cluster' : 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              ...(shape.topLevelFields ? { x_kubernetes_preserve_unknown_fields: true } : {}),
              properties: { spec: object, ...(withStatus ? { status: object } : {}) },
            },
          },
        },
      ],
    },
  };
}

export const TEST_CRDS = [
  crd('kubevirt.io', 'VirtualMachineInstance', 'virtualmachineinstances', true),
  crd('kubevirt.io', 'VirtualMachineInstanceMigration', 'virtualmachineinstancemigrations', true),
  crd('monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors', false),
  crd('monitoring.coreos.com', 'PodMonitor', 'podmonitors', false),
  crd('monitoring.coreos.com', 'PrometheusRule', 'prometheusrules', false),
  crd('security.openshift.io', 'SecurityContextConstraints', 'securitycontextconstraints', false, {
    cluster: true,
    topLevelFields: true,
  }),
];

/**
 * Installs the CRDs once per control plane (the apiextensions server waits about 2 s after a
 * CRD is Established before it serves creates of the kind, so this is not done per test).
 */
export async function ensureTestCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const have = new Set((await api.listCustomResourceDefinition()).items.map((c) => c.metadata?.name));
  const missing = TEST_CRDS.filter((c) => !have.has(c.metadata!.name));
  for (const body of missing) await api.createCustomResourceDefinition({ body });
  const deadline = Date.now() + 30_000;
  for (const c of missing) {
    while (true) {
      const got = await api.readCustomResourceDefinition({ name: c.metadata!.name! });
      if (got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${c.metadata!.name} not Established after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (missing.length > 0) await new Promise((r) => setTimeout(r, 2_500));
}
