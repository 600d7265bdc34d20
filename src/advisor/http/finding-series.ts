import type { NodeAnalysis, NodeFindings, NodeInventory } from '../../telemetry';
import { SEVERITY_RANK } from '../domain/analyze-node';

export interface Family {
  name: string;
  help: string;
  labelNames: string[];
  rows: [Record<string, string>, number][];
}

/**
 * The findings of the nodes this replica owns as Prometheus series, for Alertmanager users: per VM
 * with KubeVirt's labels (`namespace`, `name` of the VMI, `node`; a plain libvirt VM has its domain
 * name and an empty namespace), per node the severity, per what-if its predicted change. Base
 * units: ratios and per-second rates. Each replica exports only its own nodes, so summing over
 * replicas never counts a node twice.
 */
export function findingSeries(
  findings: readonly NodeFindings[],
  analyses: readonly NodeAnalysis[],
  inventoryOf: (node: string) => NodeInventory | undefined,
): Family[] {
  const vmLabels = (node: string, vm: string) => {
    const kubevirt = inventoryOf(node)?.vms.find((v) => v.name === vm)?.kubevirt;
    return { namespace: kubevirt?.namespace ?? '', name: kubevirt?.vmi ?? vm, node };
  };
  const VM = ['namespace', 'name', 'node'];
  const families: Family[] = [
    {
      name: 'spinwise_vm_ple_exits_per_second',
      help: 'PLE exits per second of the VM (all its vCPUs)',
      labelNames: VM,
      rows: [],
    },
    {
      name: 'spinwise_vm_spin_ratio',
      help: 'Share of the VM’s run time spent spinning (lower bound)',
      labelNames: VM,
      rows: [],
    },
    {
      name: 'spinwise_vm_runqueue_wait_ratio',
      help: 'Share of the VM’s runnable time spent waiting for a pCPU',
      labelNames: VM,
      rows: [],
    },
    {
      name: 'spinwise_vm_throttled_ratio',
      help: 'Share of CFS periods in which the VM’s CPU limit (cpu.max) throttled it',
      labelNames: VM,
      rows: [],
    },
    {
      name: 'spinwise_node_severity',
      help: 'Worst finding on the node: 0 ok, 1 info, 2 warning, 3 critical',
      labelNames: ['node'],
      rows: [],
    },
    {
      name: 'spinwise_whatif_predicted_change_ratio',
      help: 'Predicted relative change of a what-if (negative: fewer)',
      labelNames: ['node', 'kind', 'target', 'quantity'],
      rows: [],
    },
  ];
  const [ple, spin, wait, throttled, severity, whatIf] = families as [
    Family,
    Family,
    Family,
    Family,
    Family,
    Family,
  ];
  for (const f of findings) {
    severity.rows.push([{ node: f.node }, SEVERITY_RANK[f.severity]]);
    for (const vm of f.vms) {
      const l = vmLabels(f.node, vm.name);
      if (vm.pleExitsPerVcpuSecond !== null) ple.rows.push([l, vm.pleExitsPerVcpuSecond * vm.vcpus]);
      if (vm.spinShare !== null) spin.rows.push([l, vm.spinShare]);
      if (vm.waitShare !== null) wait.rows.push([l, vm.waitShare]);
      if (vm.throttledRatio !== null && vm.throttledRatio !== undefined)
        throttled.rows.push([l, vm.throttledRatio]);
    }
  }
  for (const a of analyses)
    for (const w of a.whatIfs)
      for (const [quantity, c] of [
        ['spin_time', w.spinNs],
        ['ple_exits', w.pleExits],
        ['useful_time', w.usefulNs],
      ] as const)
        whatIf.rows.push([{ node: a.node, kind: w.kind, target: w.target, quantity }, c.change]);
  return families;
}
