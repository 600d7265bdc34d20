/**
 * Every Kubernetes API call spinwise's advisor makes, as RBAC rules. The Helm chart's ClusterRole
 * and Role are checked against this list, and the Kubernetes test checks the list against the
 * calls the code really makes, so neither can drift: least privilege, exactly.
 */
export const ADVISOR_CLUSTER_RULES = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['list', 'watch'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['create'] },
] as const;

/** In the release's namespace only: the planner's leader Lease. */
export const ADVISOR_NAMESPACE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
] as const;
