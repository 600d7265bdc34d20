import type { NodeFindings, NodeInventory } from '../../telemetry';
import { agentStatusOf } from '../fleet/node-summary';
import type { WindowObservation } from './analyze-node';
import type { WindowSample } from './window-sample';

/** A closed window's findings, as published (`gaps`: the node's missing seqs when it closed). */
export function windowFindings(
  inventory: NodeInventory,
  samples: readonly WindowSample[],
  observed: WindowObservation,
  gaps: number,
  replica: string,
): NodeFindings {
  const first = samples[0]!;
  const newest = samples[samples.length - 1]!;
  return {
    schema: 'spinwise.findings.v1',
    node: inventory.node,
    windowStartMs: first.timestampMs - first.intervalMs,
    windowEndMs: newest.timestampMs,
    samples: samples.length,
    kernel: inventory.kernel,
    severity: observed.severity,
    oversubscription: observed.oversubscription,
    pcpus: inventory.pcpus,
    vms: observed.vms,
    findings: observed.findings,
    replica,
    agent: agentStatusOf(newest, gaps),
  };
}
