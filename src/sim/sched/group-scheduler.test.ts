import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpuAttachment } from './load-tracking';
import { RunQueue } from '../host/runqueue';
import { Thread } from '../host/thread';
import { parseScenario } from '../scenario';
import { modelByName } from '../models';
import { buildHost, simulate } from '../simulate';
import { CfsScheduler } from './cfs';
import { GroupScheduler } from './group-scheduler';
import { sharesOfCpuWeight } from './group-tree';
import { EnqueueKind } from './host-scheduler';

/** CPU shares of VMs a and b, both always busy, on 4 pCPUs. */
const shares = (
  model: string,
  cgroups: 'flat' | 'per-vm',
  a: [vcpus: number, weight: number],
  bVcpus: number,
) =>
  simulate(
    parseScenario({
      host: { pcpus: 4, kernel: '5.6.0', cgroups },
      vms: [
        { name: 'a', vcpus: a[0], cpu: { weight: a[1] }, workload: { busy: 1 } },
        { name: 'b', vcpus: bVcpus, workload: { busy: 1 } },
      ],
      duration: '500ms',
      seed: 1,
    }),
    model,
  ).vms.map((v) => v.cpuShare);

describe('per-VM cgroups (CONFIG_FAIR_GROUP_SCHED)', () => {
  for (const model of ['stock-5.6', 'stock-6.6'])
    it(`${model}: fairness moves from per thread to per VM, and cpu.weight sets the split`, () => {
      // 8 vCPUs against 2: per thread each of the 10 gets 0.4 pCPU, so the small VM 0.2 of the
      // host; per VM the small one gains much (it cannot use more than its 2 pCPUs, 0.5).
      const [flatA, flatB] = shares(model, 'flat', [8, 100], 2);
      const [groupA, groupB] = shares(model, 'per-vm', [8, 100], 2);
      assert.ok(Math.abs(flatB! - 0.2) < 0.03, `flat: b ${flatB}`);
      assert.ok(groupB! > 1.4 * flatB! && groupA! < flatA!, `per VM: b ${flatB} → ${groupB}`);
      // Two 8-vCPU VMs, cpu.weight 300 against 100: ¾ and ¼.
      const [weighted] = shares(model, 'per-vm', [8, 300], 8);
      const [even] = shares(model, 'flat', [8, 300], 8);
      assert.ok(Math.abs(even! - 0.5) < 0.03, 'flat ignores cpu.weight');
      assert.ok(Math.abs(weighted! - 0.75) < 0.05, `weight 300:100 → a ${weighted}`);
    });

  for (const model of ['stock-5.6', 'stock-6.6', 'stock-6.19'])
    it(`${model}: a busy 2-vCPU VM beside a busy 6-vCPU VM on 4 pCPUs gets half the host, as load balancing by PELT load gives it`, () => {
      // Balancing by thread count leaves one 6-vCPU thread beside each small-VM thread, and the
      // group shares then give the small VM ¾ of two pCPUs (0.375). find_busiest_group() by
      // load (h_load) moves the big VM's threads away: the small VM runs on two whole pCPUs.
      const [small] = shares(model, 'per-vm', [2, 100], 6);
      assert.ok(Math.abs(small! - 0.5) < 0.08, `2-vCPU VM ${small}`);
      const [flatSmall] = shares(model, 'flat', [2, 100], 6);
      assert.ok(Math.abs(flatSmall! - 0.25) < 0.03, `flat: per thread, 2 of 8 threads → ${flatSmall}`);
    });

  it('calc_group_shares: a VM of four 25 %-busy vCPUs with one runnable gets about 0.57 of its shares', () => {
    // 5.6–6.19: shares = tg_shares · load / (tg->load_avg − contrib + load), load = max(load.weight,
    // load_avg): 1024 · 1024 / (4·256 − 256 + 1024) = 585, not all 1024 (runnable counts gave all).
    const threads = [0, 1, 2, 3].map((cpu) => new Thread(cpu, cpu, [cpu]));
    for (const t of threads) t.avg.loadAvg = 256;
    const groups = new GroupScheduler(
      new CfsScheduler(4),
      4,
      [{ weight: 100, parent: -1 }],
      [0, 0, 0, 0],
      new CpuAttachment(threads, 4),
      () => 0,
    );
    const rqs = [0, 1, 2, 3].map((cpu) => new RunQueue(cpu));
    // Each vCPU ran and blocked on its pCPU: every cfs_rq published its blocked load to the group.
    for (const t of threads.slice(1)) {
      rqs[t.cpu]!.add(t);
      groups.place(rqs[t.cpu]!, t, EnqueueKind.Wakeup, rqs[t.cpu]!);
      groups.unplace(rqs[t.cpu]!, t, false);
      rqs[t.cpu]!.remove(t);
    }
    rqs[0]!.add(threads[0]!);
    groups.place(rqs[0]!, threads[0]!, EnqueueKind.Wakeup, rqs[0]!);
    const entity = (groups as unknown as { groups: { entity: Thread[] }[] }).groups[0]!.entity[0]!;
    assert.ok(Math.abs(entity.weight / 1024 - 0.571) < 0.005, `group entity weighs ${entity.weight}`);
  });

  it('CFS 5.6 sched_slice(): a thread in a VM cgroup gets its share of its VM entity’s share', () => {
    // One pCPU at 1000 Hz, VM a (2 busy vCPUs) against VM b (1): the root gives each VM entity
    // 6 ms / 2 = 3 ms (cut at the 4th tick); inside a, each thread gets 6 ms · ½ · ½ = 1.5 ms
    // (cut at the 2nd tick), not 6 ms · ½ = 3 ms — so a's threads take turns within a's turn.
    const scenario = parseScenario({
      host: { pcpus: 1, kernel: '5.6.0', cgroups: 'per-vm', tickHz: 1000 },
      vms: [
        { name: 'a', vcpus: 2, workload: { busy: 1, userShare: 1 } },
        { name: 'b', vcpus: 1, workload: { busy: 1, userShare: 1 } },
      ],
      duration: '1s',
      seed: 1,
    });
    const host = buildHost(scenario, modelByName('stock-5.6'), 1);
    host.run(scenario.duration);
    const [a0, a1, b] = host.threads.map((t) => t.runNs / t.timeslices / 1e6);
    assert.ok(Math.abs(b! - 4) < 0.1, `b's turns ${b} ms`);
    for (const a of [a0!, a1!]) assert.ok(Math.abs(a - 2) < 0.1, `a thread's timeslice ${a} ms`);
  });

  it('cpu.weight maps to shares as the kernel does (100 → 1024)', () => {
    assert.deepEqual([1, 100, 300, 10000].map(sharesOfCpuWeight), [10, 1024, 3072, 102400]);
  });

  it('yield_to marks the next buddy at every level; CFS marks the yielder’s skip buddy at every level', () => {
    const cfs = new CfsScheduler(1);
    // Threads 0 and 1: VM 0; thread 2: VM 1; all on pCPU 0.
    const threads = [0, 1, 2].map((id) => new Thread(id, id, [0]));
    const groups = new GroupScheduler(
      cfs,
      1,
      [
        { weight: 100, parent: -1 },
        { weight: 100, parent: -1 },
      ],
      [0, 0, 1],
      new CpuAttachment(threads, 1),
      () => 0,
    );
    const rq = new RunQueue(0);
    for (const t of threads) {
      rq.add(t);
      groups.place(rq, t, EnqueueKind.New, rq);
    }
    rq.curr = threads[0]!;
    groups.picked(rq, threads[0]!);
    // The spinner (0) yields to its sibling (1); VM 1's thread (2) competes at the root.
    groups.yieldToTask(rq, threads[0]!, rq, threads[1]!, 0);
    const levels = groups as unknown as {
      roots: RunQueue[];
      groups: { child: RunQueue[]; entity: Thread[] }[];
    };
    const vm0 = levels.groups[0]!;
    assert.equal(vm0.child[0]!.next, threads[1], 'the target is next in its VM');
    assert.equal(levels.roots[0]!.next, vm0.entity[0], 'its VM is next at the root');
    assert.equal(vm0.child[0]!.skip, threads[0], 'the spinner is skipped in its VM');
    assert.equal(levels.roots[0]!.skip, vm0.entity[0], 'and its VM at the root (CFS set_skip_buddy)');
  });
});
