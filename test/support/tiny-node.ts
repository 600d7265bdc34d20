import type { NodeInventory, NodeSample } from '../../src/telemetry';

/** A small KVM node (one VM, `vcpus` vCPUs, 4 pCPUs): cheap to analyse, for tests about ingest. */
export function tinyInventory(node: string, vcpus = 1): NodeInventory {
  return {
    schema: 'spinwise.inventory.v1',
    node,
    timestampMs: Date.now(),
    kernel: '6.8.0-45-generic',
    scheduler: 'eevdf',
    cpuVendor: 'intel',
    pcpus: 4,
    topology: { sockets: 1, coresPerSocket: 4, threadsPerCore: 1 },
    ple: null,
    ipiVirtualized: false,
    vms: [
      {
        name: 'vm-a',
        pid: 4000,
        vcpus: Array.from({ length: vcpus }, (_, i) => ({ index: i, tid: 4242 + i, affinity: [0, 1, 2, 3] })),
      },
    ],
  };
}

export const TINY_INTERVAL_MS = 10_000;

/** The node's sample `seq` of a series whose first interval starts at `baseMs`. */
export function tinySample(node: string, seq: number, baseMs: number, vcpus = 1): NodeSample {
  return {
    schema: 'spinwise.sample.v1',
    node,
    seq,
    timestampMs: baseMs + (seq + 1) * TINY_INTERVAL_MS,
    intervalMs: TINY_INTERVAL_MS,
    seriesRestarted: false,
    vcpus: Array.from({ length: vcpus }, (_, i) => ({
      vm: 'vm-a',
      vcpu: i,
      tid: 4242 + i,
      runNs: 6_000_000_000,
      waitNs: 500_000_000 * (1 + (i % 3)),
      pleExits: 900 + seq * 7 + i,
    })),
    vms: [],
    host: {},
    agent: { spoolBytes: 0, droppedSamples: 0 },
    missing: [],
  };
}
