import type { AgentStatus, NodeAnalysis, NodeFindings, NodeInventory } from '../../telemetry';
import { oversubscriptionOf } from '../domain/analyze-node';
import type { WindowSample } from '../domain/window-sample';
import type { AgentHealth, NodeSummary } from '../http/api-types';

/** The agent as the owner's window shows it, for the findings and analyses any replica reads. */
export function agentStatusOf(newest: WindowSample, gaps: number): AgentStatus {
  return {
    lastSampleMs: newest.timestampMs,
    intervalMs: newest.intervalMs,
    gaps,
    missing: newest.missing,
    spoolBytes: newest.agent.spoolBytes,
    droppedSamples: newest.agent.droppedSamples,
  };
}

/** A floor under "three intervals": a fast simulated agent must not flap between stale and fresh. */
const STALE_FLOOR_MS = 30_000;

/** The agent's health from its status (null: no sample yet) and the age of its newest sample. */
function healthOf(lastSampleAgeMs: number, status: AgentStatus | null, gaps: number): AgentHealth {
  const intervalMs = status?.intervalMs ?? null;
  return {
    lastSampleAgeMs,
    lastSampleMs: status?.lastSampleMs ?? null,
    intervalMs,
    gaps,
    stale: lastSampleAgeMs > Math.max(3 * (intervalMs ?? 0), STALE_FLOOR_MS),
    missing: status?.missing ?? [],
    spoolBytes: status?.spoolBytes ?? 0,
    droppedSamples: status?.droppedSamples ?? 0,
  };
}

/** A node this replica owns: the age is from when its newest sample arrived here. */
export function agentHealth(
  lastSampleWallMs: number,
  newest: WindowSample | undefined,
  gaps: number,
  nowMs: number,
): AgentHealth {
  return healthOf(Math.max(0, nowMs - lastSampleWallMs), newest ? agentStatusOf(newest, gaps) : null, gaps);
}

/**
 * A node another replica owns, as its newest analysis tells it: the agent's age is measured from
 * the newest sample's own timestamp, so a node whose owner stopped hearing from it turns stale here too.
 */
export function agentHealthFromAnalysis(
  status: AgentStatus | undefined,
  windowEndMs: number,
  nowMs: number,
): AgentHealth {
  const lastSampleMs = status?.lastSampleMs ?? windowEndMs;
  return { ...healthOf(Math.max(0, nowMs - lastSampleMs), status ?? null, status?.gaps ?? 0), lastSampleMs };
}

/** What was observed last: the newest findings, or the prediction when it is as new or there are none. */
export function newestObserved(
  analysis: NodeAnalysis | null,
  findings: NodeFindings | null,
): NodeAnalysis | NodeFindings | null {
  return findings && (!analysis || findings.windowEndMs >= analysis.windowEndMs) ? findings : analysis;
}

/**
 * A fleet row from the node's inventory, newest findings and newest prediction, wherever they
 * were made: what was observed comes from whichever of the two is newer.
 */
export function nodeSummary(
  inventory: NodeInventory,
  analysis: NodeAnalysis | null,
  findings: NodeFindings | null,
  samples: number,
  agent: AgentHealth,
  owner: string,
): NodeSummary {
  const observed = newestObserved(analysis, findings);
  const spinShares = (observed?.vms ?? []).flatMap((vm) => (vm.spinShare === null ? [] : [vm.spinShare]));
  return {
    name: inventory.node,
    kernel: inventory.kernel,
    model: analysis?.model ?? 'not analysed yet',
    severity: observed?.severity ?? 'ok',
    oversubscription: oversubscriptionOf(inventory),
    pcpus: inventory.pcpus,
    vcpus: inventory.vms.reduce((a, vm) => a + vm.vcpus.length, 0),
    samples,
    analysedAtMs: observed?.windowEndMs ?? null,
    spinShare: spinShares.length > 0 ? Math.max(...spinShares) : null,
    vms: inventory.vms.map((vm) => ({
      name: vm.name,
      vcpus: vm.vcpus.length,
      ...(vm.kubevirt?.namespace ? { namespace: vm.kubevirt.namespace } : {}),
      ...(vm.kubevirt?.vmi ? { vmi: vm.kubevirt.vmi } : {}),
    })),
    agent,
    owner,
    predictionAgeMs: analysis && observed ? Math.max(0, observed.windowEndMs - analysis.windowEndMs) : null,
    modelAgeMs:
      analysis && observed
        ? Math.max(0, observed.windowEndMs - (analysis.modelFittedToMs ?? analysis.windowEndMs))
        : null,
  };
}
