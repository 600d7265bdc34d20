import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseScenario } from '../scenario';
import { simulate } from '../simulate';

/**
 * Two dedicated pCPUs shared with busy host threads: a vCPU spins in csd_lock_wait for its
 * sibling's IPI handler while the sibling waits behind host load, for up to a CFS slice (6 ms).
 */
const spinUntilSliceEnds = (windowMs: number) =>
  simulate(
    parseScenario({
      host: {
        pcpus: 2,
        kernel: '5.6.0',
        cpu: { ghz: 2.5 },
        ple: { window: windowMs * 2.5e6 },
        tickHz: 250,
        otherLoad: { threads: 2, busy: 1, burst: '50ms' },
      },
      vms: [
        {
          name: 'vm',
          vcpus: 2,
          pinning: 'dedicated',
          cpus: '0-1',
          workload: { busy: 1, userShare: 0, ipis: { perSecond: 2000, targets: 1 } },
        },
      ],
      duration: '2s',
      seed: 3,
    }),
    'stock-5.6',
  ).totals;

it('every host tick (a VM exit) restarts the PAUSE loop count: a window longer than the tick period never expires', () => {
  // 250 Hz: a tick every 4 ms. A 5 ms window is never reached; a 2 ms one is.
  const long = spinUntilSliceEnds(5);
  assert.ok(long.spinNs > 100e6, `the vCPU spins (${long.spinNs / 1e6} ms)`);
  assert.equal(long.pleExits, 0);
  assert.ok(spinUntilSliceEnds(2).pleExits > 50, 'a window shorter than the tick period expires');
});
