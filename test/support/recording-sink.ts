import type { Sink, OutgoingRecord } from '../../src/agent/sinks/sink';
import { codecs, TOPICS, type NodeInventory, type NodeSample } from '../../src/telemetry';

/** A sink that keeps what an agent sends, and reads back its newest inventory and sample. */
export function recordingSink(): {
  sink: Sink;
  records: OutgoingRecord[];
  inventory: () => NodeInventory;
  lastSample: () => NodeSample;
} {
  const records: OutgoingRecord[] = [];
  const newest = (topic: string) => records.filter((r) => r.topic === topic).at(-1)!.value;
  return {
    sink: {
      write: (r) => void records.push(...r),
      flush: async () => {},
      close: async () => {},
      lastDeliveredMs: null,
    },
    records,
    inventory: () => codecs.inventory.decode(newest(TOPICS.inventory)),
    lastSample: () => codecs.sample.decode(newest(TOPICS.samples)),
  };
}
