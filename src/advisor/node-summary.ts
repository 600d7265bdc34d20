import type { NodeSample } from '../telemetry';

/**
 * How a node's agent is doing, as the advisor sees it: when its newest sample arrived, the gaps
 * in its sequence, and the signals it says it cannot give (so "no data" never looks like "fine").
 */
export interface AgentHealth {
  /** Wall time since the newest sample arrived here. */
  lastSampleAgeMs: number;
  /** The newest sample's own timestamp and interval. */
  lastSampleMs: number | null;
  intervalMs: number | null;
  /** Missing sequence numbers in the window. */
  gaps: number;
  /** Silent for longer than three intervals (at least 30 s): the agent is down or cut off. */
  stale: boolean;
  missing: { signal: string; reason: string }[];
  spoolBytes: number;
  droppedSamples: number;
}

/** A floor under "three intervals": a fast simulated agent must not flap between stale and fresh. */
const STALE_FLOOR_MS = 30_000;

export function agentHealth(
  lastSampleWallMs: number,
  newest: NodeSample | undefined,
  gaps: number,
  nowMs: number,
): AgentHealth {
  const lastSampleAgeMs = Math.max(0, nowMs - lastSampleWallMs);
  const intervalMs = newest?.intervalMs ?? null;
  return {
    lastSampleAgeMs,
    lastSampleMs: newest?.timestampMs ?? null,
    intervalMs,
    gaps,
    stale: lastSampleAgeMs > Math.max(3 * (intervalMs ?? 0), STALE_FLOOR_MS),
    missing: newest?.missing ?? [],
    spoolBytes: newest?.agent.spoolBytes ?? 0,
    droppedSamples: newest?.agent.droppedSamples ?? 0,
  };
}

/** One row of the fleet: what `/api/nodes` lists and the dashboard searches and sorts by. */
export interface NodeSummary {
  name: string;
  kernel: string;
  model: string;
  severity: string;
  oversubscription: number;
  pcpus: number;
  vcpus: number;
  samples: number;
  analysedAtMs: number | null;
  /** The worst VM's spin share of run time (lower bound), from the newest analysis. */
  spinShare: number | null;
  vms: { name: string; vcpus: number; namespace?: string; vmi?: string }[];
  agent: AgentHealth;
}
