import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario, type ScenarioInput } from '../scenario';
import { simulate } from '../simulate';

type Ipis = NonNullable<NonNullable<ScenarioInput['vms'][number]['workload']>['ipis']>;

/** One 8-vCPU VM on 8 pCPUs, mostly idle, sending shootdowns to 3 receivers. */
const run = (ipis: Partial<Ipis>) => {
  const result = simulate(
    parseScenario({
      host: { pcpus: 8, kernel: '6.8.0' },
      vms: [
        {
          name: 'vm',
          vcpus: 8,
          workload: { busy: 0.2, burst: '1ms', ipis: { perSecond: 4000, targets: 3, ...ipis } },
        },
      ],
      duration: '300ms',
      seed: 3,
    }),
  );
  const sum = (k: 'tlbFlushesLazy' | 'haltExits' | 'ipiRounds') => result.vcpus.reduce((a, v) => a + v[k], 0);
  return { lazy: sum('tlbFlushesLazy'), halts: sum('haltExits'), rounds: sum('ipiRounds'), ...result.totals };
};

// native_flush_tlb_multi() (arch/x86/mm/tlb.c): without freed page tables, on_each_cpu_cond_mask()
// with tlb_is_not_lazy() (5.x–6.12) / should_flush_tlb() (6.13+), both false for an is_lazy CPU.
describe('lazy TLB: a shootdown skips idle receivers unless it frees page tables', () => {
  it('skips halted receivers: they are neither IPI’d nor woken, and the sender barely waits', () => {
    const lazy = run({});
    const freed = run({ freedTables: 1 });
    assert.ok(lazy.lazy > lazy.rounds / 2, `${lazy.lazy} receivers skipped in ${lazy.rounds} rounds`);
    assert.equal(freed.lazy, 0, 'a round that frees page tables goes to every receiver');
    assert.ok(freed.halts > 1.3 * lazy.halts, `HLT exits ${freed.halts} with wakeups, ${lazy.halts} without`);
    assert.ok(lazy.spinNs < 0.5 * freed.spinNs, `spin ${freed.spinNs / 1e6} ms → ${lazy.spinNs / 1e6} ms`);
  });

  it('a share of rounds that free page tables skips fewer', () => {
    const none = run({}).lazy;
    const half = run({ freedTables: 0.5 }).lazy;
    assert.ok(half > 0.25 * none && half < 0.75 * none, `${none} skipped → ${half} with half freeing`);
  });

  it('other cross-calls must reach every receiver, idle or not', () => {
    assert.equal(run({ kind: 'call-function' }).lazy, 0);
  });
});
