import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelByName } from '../models';
import { parseScenario } from '../scenario';
import { buildHost } from '../simulate';
import { selectCpu } from './load-balance';
import { ThreadState, type Thread } from './thread';

/**
 * Two pCPUs: pCPU 0 runs `a` with `b` waiting, pCPU 1 runs the waker `w`; `t` sleeps, last on
 * pCPU 0. Every thread's PELT load is settled at its weight (1024), `t`'s still attached to pCPU 0.
 */
function host() {
  const scenario = parseScenario({
    host: { pcpus: 2, kernel: '6.8.0' },
    vms: [{ name: 'vm', vcpus: 4 }],
    seed: 1,
  });
  const h = buildHost(scenario, modelByName('stock-6.6'), scenario.seed);
  const [a, b, w, t] = h.threads as [Thread, Thread, Thread, Thread];
  const place = (cpu: number, ...threads: Thread[]) => {
    const rq = h.rqs[cpu]!;
    threads.forEach((th, i) => {
      h.attachment.move(th, cpu);
      th.state = i === 0 ? ThreadState.Running : ThreadState.Runnable;
      rq.add(th);
    });
    rq.curr = threads[0]!;
  };
  place(0, a, b);
  place(1, w);
  return { h, t, w };
}

// select_task_rq_fair() → wake_affine() (WA_IDLE, WA_WEIGHT, WA_BIAS) → select_idle_sibling(), 5.6–6.19.
describe('the pCPU a woken thread goes to', () => {
  it('wake_affine_weight(): the waker’s pCPU when its load with the thread is below the previous one’s without it', () => {
    const { h, t, w } = host();
    // this_eff = (1024 + 1024) · 100 = 204,800 < prev_eff = (3072 − 1024) · 108 = 221,184.
    assert.equal(selectCpu(h, t, w), 1);
    assert.equal(selectCpu(h, t), 0, 'a timer wakes it where it last ran');
  });

  it('wake_wide(): a waker and a wakee that both flip among many partners stay spread', () => {
    const { h, t, w } = host();
    w.wakeeFlips = 10;
    t.wakeeFlips = 3; // slave 3 ≥ sd_llc_size 2, master 10 ≥ 3 · 2
    assert.equal(selectCpu(h, t, w), 0);
  });

  it('select_idle_sibling(): an idle previous pCPU wins over the waker’s', () => {
    const { h, t, w } = host();
    const rq0 = h.rqs[0]!;
    rq0.threads.length = 0;
    rq0.curr = null;
    assert.equal(selectCpu(h, t, w), 0);
  });
});
