import type { OutgoingMessage } from '../../adapters/bus/message-bus';
import { TOPICS } from '../../telemetry';

/** A node spinwise knows, with the keys of its alerts on the compacted alerts topic. */
export interface KnownNode {
  node: string;
  alertKeys: string[];
}

/**
 * Compacted topics keep a node's newest inventory, findings, analysis and alerts forever, so a
 * node taken out of the cluster would stay on every dashboard. The planner's leader calls `due`
 * on each round: a node absent from the cluster's Nodes for `graceMs` gets tombstones on those
 * topics (Kafka then removes its key), and every replica forgets it. Nothing happens while the
 * cluster's Nodes are unknown (no Kubernetes, or the watch has not listed them). A node stays due
 * until the readers have forgotten it, so tombstones that failed to send go out again next round.
 * The absence is timed by the leader in memory: a new leader starts the clock again, which only delays.
 */
export class NodeReaper {
  private readonly goneSince = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  /** The nodes to forget now, and what to send for each. */
  due(
    known: readonly KnownNode[],
    cluster: ReadonlySet<string> | null,
    nowMs: number,
  ): { node: string; tombstones: { topic: string; message: OutgoingMessage }[] }[] {
    if (!cluster) return [];
    const out = [];
    const stillKnown = new Set<string>();
    for (const { node, alertKeys } of known) {
      if (cluster.has(node)) continue;
      stillKnown.add(node);
      const since = this.goneSince.get(node) ?? nowMs;
      this.goneSince.set(node, since);
      if (nowMs - since < this.graceMs) continue;
      const keyed = (topic: string, key: string) => ({ topic, message: { key, value: null } });
      out.push({
        node,
        tombstones: [
          keyed(TOPICS.inventory, node),
          keyed(TOPICS.findings, node),
          keyed(TOPICS.analyses, node),
          ...alertKeys.map((k) => keyed(TOPICS.alerts, k)),
        ],
      });
    }
    // A node back in the cluster (or forgotten) starts afresh.
    for (const node of [...this.goneSince.keys()]) if (!stillKnown.has(node)) this.goneSince.delete(node);
    return out;
  }
}
