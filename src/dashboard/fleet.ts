import type { NodeSummary } from './api.js';

export const SORTS = {
  severity: 'severity, worst first',
  spin: 'spin share, highest first',
  oversubscription: 'vCPUs per pCPU, highest first',
  age: 'last sample, oldest first',
  name: 'name',
} as const;
export type SortKey = keyof typeof SORTS;

const RANK = { critical: 0, warning: 1, info: 2, ok: 3 } as const;

/** Everything a search looks in: the node, its kernel and model, and every VM's name, namespace and VMI. */
function haystack(n: NodeSummary): string {
  return [n.name, n.kernel, n.model, n.severity, ...n.vms.flatMap((vm) => [vm.name, vm.namespace, vm.vmi])]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
}

const cache = new WeakMap<NodeSummary, string>();

/** Every word of the query must appear somewhere in the node's text (case-insensitive). */
export function matches(n: NodeSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  let text = cache.get(n);
  if (text === undefined) cache.set(n, (text = haystack(n)));
  return words.every((w) => text.includes(w));
}

/** The VMs of a node a query names (to show why a node matched). */
export function matchingVms(n: NodeSummary, query: string): string[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  return n.vms
    .filter((vm) =>
      words.some((w) =>
        [vm.name, vm.namespace, vm.vmi].some((f) => f !== undefined && f.toLowerCase().includes(w)),
      ),
    )
    .map((vm) => (vm.namespace && vm.vmi ? `${vm.namespace}/${vm.vmi}` : vm.name));
}

export function sortNodes(nodes: readonly NodeSummary[], key: SortKey): NodeSummary[] {
  const byName = (a: NodeSummary, b: NodeSummary) => a.name.localeCompare(b.name);
  const compare: Record<SortKey, (a: NodeSummary, b: NodeSummary) => number> = {
    severity: (a, b) => RANK[a.severity] - RANK[b.severity] || b.oversubscription - a.oversubscription,
    spin: (a, b) => (b.spinShare ?? -1) - (a.spinShare ?? -1),
    oversubscription: (a, b) => b.oversubscription - a.oversubscription,
    age: (a, b) => b.agent.lastSampleAgeMs - a.agent.lastSampleAgeMs,
    name: () => 0,
  };
  return [...nodes].sort((a, b) => compare[key](a, b) || byName(a, b));
}

export function isSortKey(text: string | null): text is SortKey {
  return text !== null && text in SORTS;
}
