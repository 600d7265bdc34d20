import type { NodeSample } from '../../src/telemetry';

/** A small valid sample for tests that need one; `seq` and `node` vary per call. */
export function sampleFixture(node: string, seq: number): NodeSample {
  return {
    schema: 'spinwise.sample.v1',
    node,
    seq,
    timestampMs: 1_700_000_000_000 + seq * 10_000,
    intervalMs: 10_000,
    seriesRestarted: false,
    vcpus: [{ vm: 'vm-a', vcpu: 0, tid: 4242, runNs: 9_000_000_000, waitNs: 1_000_000, pleExits: 1200 }],
    vms: [],
    host: { yieldCount: 77 },
    agent: { spoolBytes: 0, droppedSamples: 0 },
    missing: [{ signal: 'kvmStats', reason: 'debugfs not mounted' }],
  };
}
