import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Activity } from '../kvm/vcpu';
import { modelByName } from '../models';
import { parseScenario, type ScenarioInput } from '../scenario';
import { buildHost } from '../simulate';

/** Two 8-vCPU VMs with locks, IPI rounds, mutexes and idle time on 6 pCPUs (8:3). */
const NODE: ScenarioInput = {
  host: { pcpus: 6, kernel: '5.6.0', otherLoad: { threads: 2, busy: 0.3, burst: '2ms' } },
  vms: [
    {
      name: 'db',
      vcpus: 8,
      workload: {
        busy: 0.8,
        burst: '3ms',
        locks: { count: 4, perSecond: 20000, hold: '5us' },
        ipis: { perSecond: 2000, targets: 3 },
        mutexes: { count: 2, perSecond: 3000, hold: '20us' },
      },
    },
    { name: 'web', vcpus: 8, workload: { busy: 0.6, burst: '1ms', locks: { count: 2, perSecond: 8000 } } },
  ],
  duration: '150ms',
  seed: 11,
};

/**
 * What each vCPU's guest did, in order: every draw from its demand stream as (what, argument,
 * value) — the first call into the stream, not the draws it makes inside itself — and what the
 * draws became: each lock or mutex it took and how long it held it.
 */
function drawsOf(input: ScenarioInput, model: string, seed: number): Map<string, string[]> {
  const scenario = parseScenario(input);
  const host = buildHost(scenario, modelByName(model), seed);
  const logs = host.vcpus.map(() => [] as string[]);
  for (const v of host.vcpus) {
    const rng = v.demand as unknown as Record<string, (n: number) => number>;
    let depth = 0;
    for (const method of ['exponentialNs', 'uniform', 'int'] as const) {
      const draw = rng[method]!.bind(rng);
      rng[method] = (n: number) => {
        depth++;
        const value = draw(n);
        depth--;
        if (depth === 0) logs[v.id]!.push(`${method}(${n ?? ''})=${value}`);
        return value;
      };
    }
  }
  const guest = host.guestOps;
  const { setActivity } = guest;
  guest.setActivity = (v, activity, remainingNs, userMode) => {
    setActivity.call(guest, v, activity, remainingNs, userMode);
    if (activity === Activity.CriticalSection)
      logs[v.id]!.push(`holds ${v.mutex >= 0 ? `mutex ${v.mutex}` : `lock ${v.lock}`} for ${remainingNs} ns`);
  };
  host.run(scenario.duration);
  return new Map(host.vcpus.map((v) => [`${host.vms[v.vm]!.name}/${v.index}`, logs[v.id]!]));
}

/** The length of the common prefix of two sequences. */
function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe('common random numbers: the guest draws its demand apart from the host', () => {
  const baseline = drawsOf(NODE, 'stock-5.6', 7);
  const whatIfs: [string, Map<string, string[]>][] = [
    ['a kernel what-if (ple-kvm)', drawsOf(NODE, 'ple-kvm', 7)],
    ['a kernel what-if (stock-6.12, EEVDF)', drawsOf(NODE, 'stock-6.12', 7)],
    ['a placement what-if (db pinned 1:1 to pCPUs 0–7 of 14)', drawsOf(pinned(), 'stock-5.6', 7)],
    ['a PLE what-if (pause-loop exiting off)', drawsOf(pleOff(), 'stock-5.6', 7)],
  ];

  for (const [what, run] of whatIfs)
    it(`a baseline and ${what} with the same seed draw the same demand, vCPU by vCPU`, () => {
      assert.deepEqual([...run.keys()], [...baseline.keys()]);
      for (const [vcpu, before] of baseline) {
        const after = run.get(vcpu)!;
        // Each run stops where simulated time ends, so one may have drawn further than the other;
        // up to there they must be the same draws with the same meanings.
        const shared = commonPrefix(before, after);
        assert.equal(
          shared,
          Math.min(before.length, after.length),
          `${vcpu}: step ${shared} differs: ${before.slice(shared - 2, shared + 2).join(' ')} | ${after.slice(shared - 2, shared + 2).join(' ')}`,
        );
        assert.ok(shared >= 50, `${vcpu}: ${shared} draws in common`);
      }
    });

  it('the scheduling differs between those runs (the check above is not of identical runs)', () => {
    const lengths = (m: Map<string, string[]>) => [...m.values()].map((d) => d.length).join(',');
    for (const [what, run] of whatIfs) assert.notEqual(lengths(run), lengths(baseline), what);
  });

  it('another seed draws another demand', () => {
    const other = drawsOf(NODE, 'stock-5.6', 8);
    for (const [vcpu, before] of baseline) assert.equal(commonPrefix(before, other.get(vcpu)!), 0, vcpu);
  });
});

function pinned(): ScenarioInput {
  return {
    ...NODE,
    host: { ...NODE.host, pcpus: 14 },
    vms: [{ ...NODE.vms[0]!, cpus: '0-7', pinning: 'dedicated' }, NODE.vms[1]!],
  };
}

function pleOff(): ScenarioInput {
  return { ...NODE, host: { ...NODE.host, ple: { enabled: false } } };
}
