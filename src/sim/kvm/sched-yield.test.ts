import assert from 'node:assert/strict';
import { it } from 'node:test';
import { modelByName, modelWithFeatures } from '../models';
import { parseScenario } from '../scenario';
import { buildHost } from '../simulate';

/**
 * One 4-vCPU VM whose guest sends PV sched-yield IPIs (the sender yields to a preempted target),
 * on `pcpus` pCPUs beside two busy host threads: some callers share their pCPU, some are alone.
 */
const run = (pcpus: number, bailout = true) => {
  const stock = modelByName('stock-5.13');
  const model = bailout ? stock : modelWithFeatures(stock, [], ['undercommit-bailout']);
  const scenario = parseScenario({
    host: { pcpus, kernel: '5.15.0', otherLoad: { threads: 2, busy: 1, burst: '5ms' } },
    vms: [
      {
        name: 'vm',
        vcpus: 4,
        workload: {
          busy: 0.8,
          burst: '500us',
          ipis: { perSecond: 4000, targets: 2, handler: '3us' },
          pv: { schedYield: true },
        },
      },
    ],
    duration: '300ms',
    seed: 4,
  });
  const host = buildHost(scenario, model, scenario.seed);
  host.run(scenario.duration);
  const sum = (k: 'pvYieldAttempted' | 'pvYieldSuccessful') => host.vcpus.reduce((a, v) => a + v[k], 0);
  return { attempted: sum('pvYieldAttempted'), successful: sum('pvYieldSuccessful') };
};

it('kvm_sched_yield from 5.13: a caller alone on its pCPU counts the attempt and does not yield (72b268a8e930)', () => {
  const bailing = run(4);
  const without = run(4, false);
  assert.ok(bailing.attempted > 100 && without.attempted > 100, 'the guest asks');
  const rate = (x: { attempted: number; successful: number }) => x.successful / x.attempted;
  assert.ok(
    rate(bailing) < 0.8 * rate(without),
    `fewer attempts switch: ${rate(bailing).toFixed(3)} with the check, ${rate(without).toFixed(3)} without`,
  );
});

it('kvm_sched_yield from 5.13: oversubscribed, callers share their pCPU and yields still switch', () => {
  const over = run(2);
  assert.ok(over.successful > 0, `yields switch when the caller's pCPU has more to run (${over.successful})`);
});
