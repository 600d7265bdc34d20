import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelByName } from '../models';
import { parseScenario, type ScenarioInput } from '../scenario';
import { EnqueueKind } from '../sched/host-scheduler';
import { buildHost } from '../simulate';
import type { HostModel } from './host-model';
import { ThreadState, type Thread } from './thread';

/** Four bursty 3-vCPU VMs on 4 pCPUs: vCPUs halt often, some of them while ineligible. */
const bursty = (vm: Partial<ScenarioInput['vms'][number]> = {}): ScenarioInput => ({
  host: { pcpus: 4, kernel: '6.12.13' },
  vms: [{ name: 'vm', count: 4, vcpus: 3, workload: { busy: 0.6, burst: '300us' }, ...vm }],
  duration: '200ms',
  seed: 5,
});

/** Steps the host 20 µs at a time until `found` names a thread, or 200 ms pass. */
function runUntil(h: HostModel, found: (h: HostModel) => Thread | undefined): Thread | undefined {
  h.start();
  for (let t = 20_000; t <= 200e6; t += 20_000) {
    h.advanceTo(t);
    const hit = found(h);
    if (hit) return hit;
  }
  return undefined;
}

describe('DELAY_DEQUEUE on the host (6.12+)', () => {
  it('a vCPU that halts while ineligible stays on its runqueue, asleep, counted by nr_running; 6.6 never delays', () => {
    const s = parseScenario(bursty());
    let delays = 0;
    let beside = 0;
    const h = buildHost(s, modelByName('stock-6.12'), s.seed);
    runUntil(h, (host) => {
      for (const t of host.threads)
        if (t.delayed) {
          delays++;
          assert.equal(t.state, ThreadState.Sleeping);
          const rq = host.rqs[t.cpu]!;
          assert.ok(rq.threads.includes(t) && rq.curr !== t);
          // single_task_running() and yield_to()'s −ESRCH test read rq->nr_running, which counts it.
          if (rq.threads.length === 2) beside++;
        }
      return undefined;
    });
    assert.ok(delays > 100, `${delays} delayed-thread samples`);
    assert.ok(beside > 0, 'a pCPU running one thread beside a delayed one is not single_task_running');
    const old = buildHost(s, modelByName('stock-6.6'), s.seed);
    assert.equal(
      runUntil(old, (host) => host.threads.find((t) => t.delayed)),
      undefined,
    );
  });

  it('ttwu_runnable() from d68803506ffb: woken on a busy pCPU while it may run elsewhere, it is dequeued and takes the full wakeup — to an idle pCPU if there is one', () => {
    const s = parseScenario(bursty());
    const h = buildHost(s, modelByName('stock-6.12'), s.seed);
    const t = runUntil(h, (host) =>
      host.threads.find((x) => x.delayed && host.rqs.some((rq) => rq.curr === null && rq.cpu !== x.cpu)),
    );
    assert.ok(t, 'a delayed vCPU while another pCPU idles');
    const from = t.cpu;
    h.schedOps.wakeThread(t, EnqueueKind.Wakeup);
    assert.equal(t.delayed, false);
    assert.ok(!h.rqs[from]!.threads.includes(t), 'left the runqueue it was delayed on');
    assert.notEqual(t.cpu, from);
    assert.equal(t.state, ThreadState.Running, 'runs at once on the idle pCPU');
  });

  it('a pinned vCPU (one allowed pCPU) is requeued where it is, without placement while its lag is negative', () => {
    // One vCPU per pCPU, each beside busy host threads (a sole vCPU in a VM cgroup is always
    // eligible there: only the group entity could be delayed, which the model does not do).
    const s = parseScenario({
      ...bursty({ count: 1, vcpus: 4, pinning: 'dedicated', cpus: '0-3' }),
      host: { pcpus: 4, kernel: '6.12.13', otherLoad: { threads: 8, busy: 0.8, burst: '1ms' } },
    });
    const h = buildHost(s, modelByName('stock-6.12'), s.seed);
    const t = runUntil(h, (host) => host.threads.find((x) => x.delayed && x.vcpu >= 0));
    assert.ok(t, 'a delayed pinned vCPU');
    const [cpu, vruntime, deadline] = [t.cpu, t.vruntime, t.deadline];
    h.schedOps.wakeThread(t, EnqueueKind.Wakeup);
    assert.equal(t.delayed, false);
    assert.equal(t.cpu, cpu);
    assert.ok(h.rqs[cpu]!.threads.includes(t));
    assert.ok(t.vlag <= 0 || t.vruntime !== vruntime, 'placed afresh only once its lag turned positive');
    if (t.vlag < 0) assert.deepEqual([t.vruntime, t.deadline], [vruntime, deadline]);
  });
});
