import {
  severity as severityEnum,
  vmSeriesLabels,
  type NodeAnalysis,
  type NodeFindings,
  type NodeInventory,
} from '../../telemetry';

const severityLevels = severityEnum.options;

export interface Family {
  name: string;
  help: string;
  labelNames: string[];
  rows: [Record<string, string>, number][];
}

/**
 * The findings of the nodes this replica owns as Prometheus series, for Alertmanager users: per VM
 * with KubeVirt's labels (`namespace`, `name` of the VMI, `node`; a plain libvirt VM has its domain
 * name and an empty namespace) the newest window's shares, per node the severity as a state set
 * and how fresh its window and prediction are, per what-if its predicted change. The per-VM
 * counters (`spinwise_vm_*_total`, for `rate()`) are the agent's. Each replica exports only its own nodes, so summing over
 * replicas never counts a node twice.
 */
export function findingSeries(
  findings: readonly NodeFindings[],
  analyses: readonly NodeAnalysis[],
  inventoryOf: (node: string) => NodeInventory | undefined,
): Family[] {
  const vmLabels = (node: string, vm: string) => vmSeriesLabels(node, vm, inventoryOf(node));
  const VM = ['namespace', 'name', 'node'];
  const families: Family[] = [
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
      help: 'Worst finding of the node’s newest window, as a state set: 1 for its severity, 0 for the others',
      labelNames: ['node', 'severity'],
      rows: [],
    },
    {
      name: 'spinwise_node_last_window_timestamp_seconds',
      help: 'End of the node’s newest analysed window (its agent’s samples reached the advisor until then)',
      labelNames: ['node'],
      rows: [],
    },
    {
      name: 'spinwise_node_last_prediction_timestamp_seconds',
      help: 'End of the window the node’s newest prediction (model fit and what-ifs) was made for',
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
  const [spin, wait, throttled, severity, lastWindow, lastPrediction, whatIf] = families as [
    Family,
    Family,
    Family,
    Family,
    Family,
    Family,
    Family,
  ];
  for (const f of findings) {
    for (const state of severityLevels)
      severity.rows.push([{ node: f.node, severity: state }, +(state === f.severity)]);
    lastWindow.rows.push([{ node: f.node }, f.windowEndMs / 1000]);
    for (const vm of f.vms) {
      const l = vmLabels(f.node, vm.name);
      if (vm.spinShare !== null) spin.rows.push([l, vm.spinShare]);
      if (vm.waitShare !== null) wait.rows.push([l, vm.waitShare]);
      if (vm.throttledRatio !== null && vm.throttledRatio !== undefined)
        throttled.rows.push([l, vm.throttledRatio]);
    }
  }
  for (const a of analyses) {
    lastPrediction.rows.push([{ node: a.node }, a.windowEndMs / 1000]);
    for (const w of a.whatIfs)
      for (const [quantity, c] of [
        ['spin_time', w.spinNs],
        ['ple_exits', w.pleExits],
        ['useful_time', w.usefulNs],
      ] as const)
        whatIf.rows.push([{ node: a.node, kind: w.kind, target: w.target, quantity }, c.change]);
  }
  return families;
}
