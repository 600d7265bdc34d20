/** What the advisor is set to do in the cluster, which decides the calls it makes. */
export interface AdvisorRbacOptions {
  /** Creates VirtualMachineInstanceMigrations (`--migrate` without `--dry-run`). */
  createMigrations: boolean;
  /** Writes each node's top recommendation as an annotation (off with `--no-annotate-nodes`). */
  annotateNodes: boolean;
}

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * Every Kubernetes API call spinwise's advisor makes with these options, as RBAC rules. The Helm
 * chart's ClusterRole is checked against this list for the same values, and a test runs the
 * advisor's code on a real API server with the role the chart renders: least privilege, exactly.
 */
export function advisorClusterRules(o: AdvisorRbacOptions): RbacRule[] {
  return [
    {
      apiGroups: [''],
      resources: ['nodes'],
      verbs: ['list', 'watch', ...(o.annotateNodes ? ['patch'] : [])],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['list', 'watch'] },
    ...(o.createMigrations
      ? [{ apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['create'] }]
      : []),
  ];
}

/** In the release's namespace only: the planner's leader Lease. */
export const ADVISOR_NAMESPACE_RULES: RbacRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];
