import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StrictBoostOnSpin } from '../kvm/strict-boost';
import type { FeatureId } from '../kernel-features';
import { modelByName, modelWithFeatures } from '../models';
import { parseScenario, ScenarioError, type ScenarioInput } from '../scenario';
import { buildHost, simulate, summarize } from '../simulate';

type Workload = NonNullable<NonNullable<ScenarioInput['vms'][number]['workload']>>;

/** Two 4-vCPU VMs on 4 pCPUs (2:1), busy, doing cross-calls to 3 receivers and nothing else. */
const node = (workload: Partial<Workload>, host: Partial<ScenarioInput['host']> = {}): ScenarioInput => ({
  host: { pcpus: 4, kernel: '6.8.0', ...host },
  vms: [
    {
      name: 'vm',
      vcpus: 4,
      count: 2,
      workload: { busy: 1, userShare: 0, ipis: { perSecond: 3000, targets: 3 }, ...workload },
    },
  ],
  duration: '400ms',
  seed: 5,
});
const totals = (input: ScenarioInput) => simulate(parseScenario(input)).totals;

describe('paravirtual guests', () => {
  it('PV TLB flush: shootdowns skip preempted receivers, so senders wait far less', () => {
    const native = totals(node({}));
    const run = simulate(parseScenario(node({ pv: { tlbFlush: true } })));
    const pv = run.totals;
    assert.ok(run.vcpus.reduce((a, v) => a + v.tlbFlushesDeferred, 0) > 100, 'receivers skipped');
    assert.ok(pv.spinNs < 0.5 * native.spinNs, `IPI spin ${native.spinNs / 1e6} ms → ${pv.spinNs / 1e6} ms`);
    assert.ok(pv.usefulNs > native.usefulNs, 'more useful guest time');
  });

  it('PV TLB flush leaves other cross-calls alone (they must reach every receiver)', () => {
    const ipis = { perSecond: 3000, targets: 3, kind: 'call-function' as const };
    assert.deepEqual(totals(node({ ipis, pv: { tlbFlush: true } })), totals(node({ ipis })));
  });

  it('PV sched yield: a cross-call yields to its first preempted receiver (KVM_HC_SCHED_YIELD)', () => {
    const run = (schedYield: boolean) =>
      simulate(
        parseScenario(
          node({ ipis: { perSecond: 3000, targets: 3, kind: 'call-function' }, pv: { schedYield } }),
        ),
      ).vcpus;
    const sum = (vcpus: ReturnType<typeof run>, k: 'pvYieldAttempted' | 'pvYieldSuccessful') =>
      vcpus.reduce((a, v) => a + v[k], 0);
    const on = run(true);
    assert.ok(sum(on, 'pvYieldAttempted') > 100, `attempted ${sum(on, 'pvYieldAttempted')}`);
    assert.ok(sum(on, 'pvYieldSuccessful') > 0);
    assert.equal(
      sum(run(false), 'pvYieldAttempted'),
      0,
      'no hypercalls without the feature (no PV spinlocks here)',
    );
  });
});

describe('IPI paths: what the strict boost can see', () => {
  /** ple-kvm with a spy on the trapped ICR-write path (the patch's mark_ipi_receiver). */
  const markedIpis = (input: ScenarioInput) => {
    let marked = 0;
    const base = modelByName('ple-kvm');
    const model = {
      ...base,
      directedYield: () => {
        const policy = new StrictBoostOnSpin();
        const onIcrWrite = policy.onIcrWrite.bind(policy);
        policy.onIcrWrite = (host, sender, write) => {
          marked++;
          onIcrWrite(host, sender, write);
        };
        return policy;
      },
    };
    const scenario = parseScenario(input);
    buildHost(scenario, model, scenario.seed).run(scenario.duration);
    return marked;
  };

  it('trapped ICR writes are seen; PV IPIs, Intel IPIv and AMD AVIC bypass kvm_apic_send_ipi', () => {
    assert.ok(markedIpis(node({})) > 100);
    assert.equal(markedIpis(node({ pv: { ipi: true } })), 0);
    assert.equal(markedIpis(node({}, { ipiVirtualization: 'ipiv' })), 0);
    assert.equal(markedIpis(node({}, { ipiVirtualization: 'avic', cpu: { vendor: 'amd' } })), 0);
  });

  it('refuses IPI virtualisation of the other vendor, naming the key', () => {
    assert.throws(
      () => parseScenario(node({}, { ipiVirtualization: 'avic' })),
      (err: ScenarioError) =>
        /host\.ipiVirtualization: expected AVIC on an AMD host \(host\.cpu\.vendor is intel\)/.test(
          err.message,
        ),
    );
  });
});

describe('guest mutexes with optimistic spinning', () => {
  /**
   * Mutex-heavy VMs at 2:1, owners often preempted while they hold one; summed over twelve
   * seeds, since in 400 ms of 8 vCPUs one seed's share of owners preempted mid-hold varies widely
   * (the spin ratio of four seeds at a time ranges 0.44–0.74).
   */
  const mutexy = (preemptedHint: boolean) => {
    const scenario = parseScenario(
      node({
        ipis: { perSecond: 0 },
        mutexes: { count: 2, perSecond: 20000, hold: '30us' },
        pv: { preemptedHint },
      }),
    );
    const runs = Array.from({ length: 12 }, (_, i) => simulate(scenario, undefined, i + 1).totals);
    const sum = (field: 'spinNs' | 'pleExits' | 'haltedNs') => runs.reduce((a, t) => a + t[field], 0);
    return { spinNs: sum('spinNs'), pleExits: sum('pleExits'), haltedNs: sum('haltedNs') };
  };

  it('without vcpu_is_preempted() waiters spin on a preempted owner; with it they sleep', () => {
    const blind = mutexy(false);
    const hinted = mutexy(true);
    assert.ok(blind.spinNs > 0, 'optimistic spinning happens');
    assert.ok(
      hinted.spinNs < 0.7 * blind.spinNs,
      `spin ${blind.spinNs / 1e6} ms → ${hinted.spinNs / 1e6} ms`,
    );
    assert.ok(hinted.pleExits < blind.pleExits, `PLE exits ${blind.pleExits} → ${hinted.pleExits}`);
    assert.ok(hinted.haltedNs > blind.haltedNs, 'waiters sleep (their vCPUs halt) instead');
  });
});

describe('PV spinlocks: the kick and the early wait', () => {
  /** VMs at 2:1 with long PV spinlock sections (so waiters outlast 2^15 spins and halt), under stock-5.6 with `features` added or removed. */
  const locky = (add: FeatureId[], remove: FeatureId[]) => {
    const scenario = parseScenario(
      node({
        ipis: { perSecond: 0 },
        locks: { count: 1, perSecond: 2000, hold: '300us' },
        pvSpinlocks: true,
      }),
    );
    const model = modelWithFeatures(modelByName('stock-5.6'), add, remove);
    const host = buildHost(scenario, model, scenario.seed);
    host.run(scenario.duration);
    return summarize(host, model, scenario.seed).vcpus;
  };
  const sum = (vcpus: ReturnType<typeof locky>, k: 'pvYieldAttempted' | 'haltExits') =>
    vcpus.reduce((a, v) => a + v[k], 0);

  it('queue-head-boost (266e85a5ec91): the unlocker yields to the queue head it kicked; without it, never', () => {
    assert.ok(sum(locky([], []), 'pvYieldAttempted') > 100);
    assert.equal(sum(locky([], ['queue-head-boost']), 'pvYieldAttempted'), 0);
  });

  it('pv-wait-early (75437bb304b2): waiters behind a preempted vCPU halt at once, so more halts', () => {
    const reverted = sum(locky([], []), 'haltExits');
    const early = sum(locky(['pv-wait-early'], []), 'haltExits');
    assert.ok(early > reverted * 1.2, `halts ${reverted} → ${early}`);
  });
});
