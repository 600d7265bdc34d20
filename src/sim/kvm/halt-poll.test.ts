import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FeatureId } from '../kernel-features';
import { parseScenario, type ScenarioInput } from '../scenario';
import { simulate } from '../simulate';
import { haltEnded } from './halt-poll';
import type { Vcpu } from './vcpu';

/** One 2-vCPU VM on 2 pCPUs idling in short gaps (≈ 50 µs), optionally beside busy host load. */
const run = (haltPollNs: number, otherLoad = 0) => {
  const input: ScenarioInput = {
    host: {
      pcpus: 2,
      kernel: '6.8.0',
      haltPollNs,
      otherLoad: { threads: otherLoad, busy: 1, burst: '20ms' },
    },
    vms: [{ name: 'vm', vcpus: 2, workload: { busy: 0.7, burst: '120us', ipis: { perSecond: 2000 } } }],
    duration: '300ms',
    seed: 9,
  };
  const r = simulate(parseScenario(input));
  const sum = (k: 'pollNs' | 'voluntarySwitches' | 'haltExits') => r.vcpus.reduce((a, v) => a + v[k], 0);
  return { pollNs: sum('pollNs'), blocks: sum('voluntarySwitches'), halts: sum('haltExits') };
};

it('halt polling: short halts end while polling, without blocking; off with haltPollNs 0', () => {
  const off = run(0);
  const on = run(200_000);
  assert.equal(off.pollNs, 0);
  assert.ok(on.pollNs > 0, 'the vCPUs poll');
  // The window grows from 0 (10 µs, then doubling): most short halts end inside it.
  assert.ok(on.blocks < 0.5 * on.halts, `${on.blocks} blocks for ${on.halts} halts`);
  assert.ok(off.blocks >= 0.9 * off.halts, `without polling every halt blocks (${off.blocks}/${off.halts})`);
});

it('halt polling needs single_task_running(): beside runnable host load a halted vCPU blocks at once', () => {
  const crowded = run(200_000, 4);
  assert.equal(crowded.pollNs, 0);
});

/** A vCPU's window after a halt longer than halt_poll_ns, from `windowNs`, with and without 6.11's shrink. */
const afterLongHalt = (windowNs: number, shrink: boolean) => {
  const h = {
    now: 1_000_000,
    scenario: { host: { haltPollNs: 200_000 } },
    features: new Set<FeatureId>(shrink ? ['halt-poll-shrink'] : []),
  };
  const v = { haltStartNs: 0, haltPollNs: windowNs } as Vcpu;
  haltEnded(h, v);
  return v.haltPollNs;
};

it('halt polling shrink: a long halt resets the window before 6.11, halves it from 6.11 (aeb1b22a3ac8), never below the grow start', () => {
  assert.equal(afterLongHalt(160_000, false), 0);
  assert.equal(afterLongHalt(160_000, true), 80_000);
  // 15 µs halves to 7.5 µs, below halt_poll_ns_grow_start (10 µs): 0 (ae232ea46088).
  assert.equal(afterLongHalt(15_000, true), 0);
  assert.equal(afterLongHalt(20_000, true), 10_000);
});
