import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../../sim/scenario';
import { codecs, TOPICS, type NodeInventory, type NodeSample } from '../../telemetry';
import { Agent } from '../agent';
import { HostRoot } from '../host-root';
import type { OutgoingRecord } from '../sinks/sink';
import { SimulatedNode } from './simulated-node';

export interface RecordedNode {
  inventory: NodeInventory;
  samples: NodeSample[];
}

/**
 * What the real agent reports of a simulated node over `intervals` samples of `intervalNs` each,
 * with timestamps from `startMs` in simulated time: telemetry of a workload its reader never sees.
 */
export async function recordSimulatedNode(
  scenario: Scenario,
  node: string,
  options: { intervals: number; intervalNs: number; startMs?: number },
): Promise<RecordedNode> {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-record-'));
  const sim = new SimulatedNode(scenario, dir);
  try {
    await sim.init();
    const records: OutgoingRecord[] = [];
    const agent = new Agent({
      node,
      root: new HostRoot(dir),
      sink: {
        write: (r) => void records.push(...r),
        flush: async () => {},
        close: async () => {},
        lastDeliveredMs: null,
      },
      clock: () => (options.startMs ?? 0) + Math.round(sim.nowNs / 1e6),
    });
    await agent.start();
    for (let i = 0; i < options.intervals; i++) {
      await sim.advance(options.intervalNs);
      await agent.sample();
    }
    await agent.stop();
    const inventory = records
      .filter((r) => r.topic === TOPICS.inventory)
      .map((r) => codecs.inventory.decode(r.value));
    return {
      inventory: inventory[inventory.length - 1]!,
      samples: records.filter((r) => r.topic === TOPICS.samples).map((r) => codecs.sample.decode(r.value)),
    };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The recording as another node would send it: renamed, with its own sequence and clock. */
export function cloneAs(
  recorded: RecordedNode,
  node: string,
): { inventory: NodeInventory; sample: (seq: number, timestampMs: number) => NodeSample } {
  return {
    inventory: { ...recorded.inventory, node },
    sample: (seq, timestampMs) => ({
      ...recorded.samples[seq % recorded.samples.length]!,
      node,
      seq,
      timestampMs,
      seriesRestarted: false,
    }),
  };
}
