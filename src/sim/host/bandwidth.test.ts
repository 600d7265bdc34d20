import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelByName } from '../models';
import { parseScenario, type ScenarioInput } from '../scenario';
import { buildHost, simulate } from '../simulate';
import { ThreadState } from './thread';

/** A lock-taking 4-vCPU VM limited to 2 CPUs (cpu.max 200000 100000) on 4 pCPUs. */
const limited: ScenarioInput = {
  host: { pcpus: 4, kernel: '5.6.0', cgroups: 'per-vm' },
  vms: [
    {
      name: 'a',
      vcpus: 4,
      cpu: { limit: 2 },
      workload: { busy: 1, userShare: 0.2, locks: { count: 2, perSecond: 20000, hold: '10us' } },
    },
  ],
  duration: '1s',
  seed: 3,
};

describe('CFS bandwidth control (cpu.max)', () => {
  it('a VM runs its quota per period and no more (plus at most one slice per pCPU carried over)', () => {
    const vm = simulate(parseScenario(limited)).vms[0]!;
    assert.ok(vm.runNs <= 2e9 + 4 * 5e6, `ran ${vm.runNs / 1e6} ms of 2,000`);
    assert.ok(vm.runNs >= 0.95 * 2e9, `a busy VM uses its quota (${vm.runNs / 1e6} ms)`);
    assert.deepEqual([vm.nrPeriods, vm.nrThrottled], [10, 10], 'throttled in every 100 ms period');
    assert.ok(vm.throttledNs > 0);
    const free = simulate(parseScenario({ ...limited, vms: [{ ...limited.vms[0]!, cpu: undefined }] }))
      .vms[0]!;
    assert.deepEqual([free.throttledNs, free.nrPeriods], [0, 0]);
    assert.ok(free.runNs > 3.9e9);
  });

  it('the per-CPU 5 ms slices let some vCPUs run on while the VM is throttled on other pCPUs', () => {
    const scenario = parseScenario(limited);
    const host = buildHost(scenario, modelByName('stock-5.6'), scenario.seed);
    const bw = host.vms[0]!.bw!;
    host.start();
    let splitSeen = false;
    for (let t = 1e6; t <= 300e6 && !splitSeen; t += 0.25e6) {
      host.advanceTo(t);
      const throttledCpus = [...bw.throttled].filter((x) => x === 1).length;
      const running = host.vcpus.filter((v) => v.thread.state === ThreadState.Running).length;
      splitSeen = throttledCpus > 0 && running > 0;
    }
    assert.ok(splitSeen, 'a moment with the VM throttled on one pCPU and running on another');
  });

  it('a pCPU left with none of the VM’s threads keeps at most min_cfs_rq_runtime (return_cfs_rq_runtime)', () => {
    // Bursty vCPUs that halt often: each halt used to strand up to a 5 ms slice on its pCPU.
    const scenario = parseScenario({
      ...limited,
      vms: [{ ...limited.vms[0]!, workload: { busy: 0.5, burst: '1ms', userShare: 0.2 } }],
    });
    const host = buildHost(scenario, modelByName('stock-5.6'), scenario.seed);
    const bw = host.vms[0]!.bw!;
    host.start();
    let checked = 0;
    for (let t = 0.1e6; t <= 300e6; t += 0.1e6) {
      host.advanceTo(t);
      host.rqs.forEach((rq, cpu) => {
        if (bw.throttled[cpu] || rq.threads.some((th) => host.bandwidthOf(th) === bw)) return;
        checked++;
        assert.ok(
          bw.remaining[cpu]! <= 1e6,
          `pCPU ${cpu} holds ${bw.remaining[cpu]! / 1e6} ms at ${t / 1e6} ms`,
        );
      });
    }
    assert.ok(checked > 100, 'pCPUs without the VM were seen');
  });

  it('from 6.18 (task-based throttling, no throttled_lb_pair) a waiting vCPU is moved onto its throttled pair and throttled there', () => {
    // Four busy vCPUs limited to 1.5 CPUs on 2 pCPUs. Before 6.18 the balancer never moves a
    // thread onto a pCPU where its VM is throttled, so a vCPU often waits on the other pCPU
    // meanwhile; from 6.18 the idle, throttled pCPU pulls it, and it is throttled on arrival.
    const scenario = parseScenario({
      host: { pcpus: 2, kernel: '6.8.0', cgroups: 'per-vm' },
      vms: [{ name: 'a', vcpus: 4, cpu: { limit: 1.5 }, workload: { busy: 1, userShare: 1 } }],
      duration: '1s',
      seed: 1,
    });
    const waitingBesideThrottle = (model: string) => {
      const host = buildHost(scenario, modelByName(model), scenario.seed);
      const bw = host.vms[0]!.bw!;
      host.start();
      let moments = 0;
      for (let t = 0.25e6; t <= 500e6; t += 0.25e6) {
        host.advanceTo(t);
        const cpu = bw.throttled.indexOf(1);
        if (cpu >= 0 && host.rqs[1 - cpu]!.threads.length >= 2) moments++;
      }
      return moments;
    };
    const before = waitingBesideThrottle('stock-6.14');
    const after = waitingBesideThrottle('stock-6.19');
    assert.ok(before > 10, `before 6.18: ${before} moments with a vCPU waiting beside the throttled pCPU`);
    assert.ok(after <= before / 4, `6.18+: ${after} such moments (${before} before)`);
  });

  it('refuses a CPU limit without a VM cgroup to put it on, naming the key', () => {
    assert.throws(
      () => parseScenario({ ...limited, host: { ...limited.host, cgroups: 'flat' } }),
      (err: Error) => err.message.includes('vms[0].cpu.limit: expected host.cgroups "per-vm"'),
    );
  });
});
