import type { Totals } from './results';
import type { Scenario } from './scenario';
import { buildHost, resolveModel } from './simulate';
import { ThreadState } from './host/thread';

/** What a prediction compares between runs: PLE exits, useful and spin time. */
export type BatchTotals = Pick<Totals, 'pleExits' | 'usefulNs' | 'spinNs'>;

/**
 * One run cut into `batches` equal stretches of simulated time, each with the PLE exits, useful
 * and spin time of its own stretch: the method of batch means for a steady-state simulation (Law and
 * Kelton, "Simulation Modeling and Analysis", chapter 9), so one run gives several observations of its
 * spread. At each cut the running vCPUs' guest time is accounted up to the cut, which only splits
 * an interval in two: the run is the same event for event, and the batches add up to `simulate`'s
 * totals exactly.
 */
export function simulateBatches(
  scenario: Scenario,
  modelName: string,
  seed: number,
  batches: number,
): BatchTotals[] {
  const host = buildHost(scenario, resolveModel(scenario, modelName), seed);
  host.start();
  const out: BatchTotals[] = [];
  const sofar = { pleExits: 0, usefulNs: 0, spinNs: 0 };
  for (let b = 1; b <= batches; b++) {
    host.advanceTo(Math.round((scenario.duration * b) / batches));
    if (b === batches) host.finish();
    let pleExits = 0;
    let usefulNs = 0;
    let spinNs = 0;
    for (const v of host.vcpus) {
      if (b < batches && v.thread.state === ThreadState.Running) host.guestOps.accountGuest(v);
      pleExits += v.pleExits;
      usefulNs += v.usefulNs;
      spinNs += v.spinNs;
    }
    out.push({
      pleExits: pleExits - sofar.pleExits,
      usefulNs: usefulNs - sofar.usefulNs,
      spinNs: spinNs - sofar.spinNs,
    });
    Object.assign(sofar, { pleExits, usefulNs, spinNs });
  }
  return out;
}
