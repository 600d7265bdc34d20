import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { MODELS } from '../../src/sim/models';
import { parseScenario, type ScenarioInput } from '../../src/sim/scenario';
import { buildHost, summarize } from '../../src/sim/simulate';
import { ThreadState } from '../../src/sim/host/thread';

const workload = fc.record({
  busy: fc.double({ min: 0.2, max: 1, noNaN: true }),
  burst: fc.constantFrom('500us', '2ms', '5ms'),
  userShare: fc.double({ min: 0, max: 1, noNaN: true }),
  locks: fc.record({
    count: fc.integer({ min: 1, max: 4 }),
    perSecond: fc.integer({ min: 0, max: 40000 }),
    hold: fc.constantFrom('1us', '5us', '30us'),
  }),
  ipis: fc.record({
    perSecond: fc.integer({ min: 0, max: 5000 }),
    targets: fc.integer({ min: 1, max: 4 }),
    handler: fc.constantFrom('1us', '3us'),
    kind: fc.constantFrom('tlb-shootdown' as const, 'call-function' as const),
  }),
  mutexes: fc.record({
    count: fc.integer({ min: 1, max: 3 }),
    perSecond: fc.integer({ min: 0, max: 20000 }),
    hold: fc.constantFrom('5us', '50us'),
  }),
  pvSpinlocks: fc.boolean(),
  pv: fc.record({
    tlbFlush: fc.boolean(),
    schedYield: fc.boolean(),
    ipi: fc.boolean(),
    preemptedHint: fc.boolean(),
  }),
});

/**
 * Small random hosts: 1–6 pCPUs, 1–3 VMs of 1–5 vCPUs, any model, Intel or AMD, some host load,
 * halt polling or not, PV features, per-VM cgroups with weights, KubeVirt's tree of QoS slices
 * and pods, CPU limits.
 */
const scenario: fc.Arbitrary<ScenarioInput> = fc.integer({ min: 1, max: 6 }).chain((pcpus) =>
  fc.record({
    host: fc.record({
      pcpus: fc.constant(pcpus),
      kernel: fc.constant('5.6.0'),
      cpu: fc.record({ vendor: fc.constantFrom('intel' as const, 'amd' as const) }),
      ple: fc.record({ enabled: fc.boolean() }),
      otherLoad: fc.record({ threads: fc.integer({ min: 0, max: 2 }) }),
      haltPollNs: fc.constantFrom(0, 50_000, 200_000),
      cgroups: fc.constantFrom('flat' as const, 'per-vm' as const, 'kubevirt' as const),
    }),
    vms: fc.array(
      fc.record({
        name: fc.constantFrom('a', 'b', 'c'),
        vcpus: fc.integer({ min: 1, max: 5 }),
        pinning: fc.constantFrom('none' as const, 'dedicated' as const),
        cpus: fc.constant(`0-${pcpus - 1}`),
        qos: fc.constantFrom(undefined, 'guaranteed' as const, 'burstable' as const, 'besteffort' as const),
        workload,
        cpu: fc.option(
          fc.record(
            {
              weight: fc.integer({ min: 1, max: 10_000 }),
              limit: fc.double({ min: 0.2, max: 4, noNaN: true }),
              period: fc.constantFrom('5ms', '10ms', '100ms'),
            },
            { requiredKeys: ['period'] },
          ),
          { nil: undefined },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    duration: fc.constantFrom('20ms', '50ms'),
    seed: fc.nat(1000),
  }),
);

it('conserves time, never runs a thread twice, never gives a VM more CPU than it was runnable; same seed, same bytes', () => {
  fc.assert(
    fc.property(scenario, fc.constantFrom(...MODELS.map((m) => m.name)), (input, modelName) => {
      // A CPU limit needs a VM cgroup (the schema refuses it with host.cgroups flat); a QoS class
      // is KubeVirt's, where the kubelet sets the weight (and a Guaranteed or BestEffort pod's CPU).
      const { cgroups } = input.host;
      const cpuOf = (v: (typeof input.vms)[number]) => {
        if (!v.cpu) return undefined;
        if (cgroups === 'flat') return { ...v.cpu, limit: undefined };
        if (cgroups === 'per-vm') return v.cpu;
        return v.qos === 'burstable' || v.qos === undefined ? { ...v.cpu, weight: undefined } : undefined;
      };
      const s = parseScenario({
        ...input,
        vms: input.vms.map((v, i) => ({
          ...v,
          name: `${v.name}${i}`,
          qos: cgroups === 'kubevirt' ? v.qos : undefined,
          cpu: cpuOf(v),
        })),
      });
      const model = MODELS.find((m) => m.name === modelName)!;
      const host = buildHost(s, model, s.seed);
      host.run(s.duration); // switchIn throws if a thread would run on two pCPUs at once
      const d = s.duration;
      host.rqs.forEach((rq, cpu) =>
        assert.equal(rq.busyNs + host.idleNs[cpu]!, d, `pCPU ${cpu}: busy + idle = duration`),
      );
      const running = host.threads.filter((t) => t.state === ThreadState.Running);
      assert.equal(
        new Set(running.map((t) => t.cpu)).size,
        running.length,
        'at most one running thread per pCPU',
      );
      for (const t of host.threads)
        assert.equal(
          t.runNs + t.waitNs + host.sleepNs[t.id]! + t.throttledNs,
          d,
          `thread ${t.id}: run + wait + sleep + throttled = duration`,
        );
      for (const v of host.vcpus) {
        assert.equal(
          v.usefulNs + v.spinNs + v.pollNs,
          v.thread.runNs,
          `vCPU ${v.id}: guest time + halt polling = host run time`,
        );
        assert.equal(v.haltedNs, host.sleepNs[v.thread.id], `vCPU ${v.id}: halted = asleep`);
      }
      // PELT: a nice-0 thread's averages never pass its weight or the capacity, and its signals
      // are attached to exactly the pCPU it last ran or waited on.
      for (const t of host.threads) {
        assert.ok(
          t.avg.loadAvg >= 0 && t.avg.loadAvg <= t.weight,
          `thread ${t.id} load_avg ${t.avg.loadAvg}`,
        );
        assert.ok(t.avg.utilAvg >= 0 && t.avg.utilAvg <= 1024, `thread ${t.id} util_avg ${t.avg.utilAvg}`);
        assert.ok(t.avg.runnableAvg >= t.avg.utilAvg, `thread ${t.id}: runnable ≥ running`);
        assert.equal(host.attachment.onCpu.filter((list) => list.includes(t)).length, 1);
        assert.ok(host.attachment.onCpu[t.cpu]!.includes(t), `thread ${t.id} attached to pCPU ${t.cpu}`);
      }
      // DELAY_DEQUEUE: a queued thread is runnable, or asleep and delayed; a delayed thread is on
      // the runqueue of its pCPU; a pCPU with nothing running holds nothing, delayed or not.
      for (const rq of host.rqs) {
        if (!rq.curr) assert.equal(rq.threads.length, 0, `idle pCPU ${rq.cpu} holds no thread`);
        for (const t of rq.threads)
          assert.equal(t.delayed, t.state === ThreadState.Sleeping, `thread ${t.id} on pCPU ${rq.cpu}`);
      }
      for (const t of host.threads)
        if (t.delayed) assert.ok(host.rqs[t.cpu]!.threads.includes(t), `delayed thread ${t.id} is queued`);
      const result = summarize(host, model, s.seed);
      for (const vm of result.vms)
        assert.ok(
          vm.runNs <= vm.runNs + vm.waitNs && vm.runNs <= d * Math.min(vm.vcpus, s.host.pcpus),
          vm.name,
        );
      const again = summarize(
        (() => {
          const h = buildHost(s, model, s.seed);
          h.run(d);
          return h;
        })(),
        model,
        s.seed,
      );
      assert.equal(JSON.stringify(again), JSON.stringify(result));
    }),
    { numRuns: 60 },
  );
});
