import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelByName } from '../models';
import { parseScenario } from '../scenario';
import { buildHost } from '../simulate';
import { ThreadState } from './thread';

/** One busy vCPU on one pCPU, run 20 ms under `model`: the host and the running thread. */
function running(model: string) {
  const scenario = parseScenario({
    host: { pcpus: 1, kernel: '6.8.0' },
    vms: [{ name: 'vm', vcpus: 1, workload: { busy: 1, userShare: 1 } }],
    duration: '20ms',
    seed: 1,
  });
  const host = buildHost(scenario, modelByName(model), scenario.seed);
  host.start();
  host.advanceTo(20e6);
  const t = host.threads[0]!;
  assert.equal(t.state, ThreadState.Running);
  return { host, rq: host.rqs[0]!, t };
}

// pick_next_task_fair() calls set_next_entity() only when the pick is not prev (5.6–6.11, the
// CONFIG_FAIR_GROUP_SCHED path every distribution kernel takes); put_prev_set_next_task() returns
// early for next == prev (6.12+).
describe('a re-picked thread keeps what set_next_entity() set when it was first picked', () => {
  it('EEVDF: a yielder picked again after pushing its deadline is no longer run-to-parity protected', () => {
    const { host, rq, t } = running('stock-6.6');
    const picked = t.pickedDeadline;
    t.deadline += 2_250_000; // yield_task_fair(): one slice further
    host.schedOps.schedule(rq);
    assert.equal(rq.curr, t, 're-picked');
    assert.equal(t.pickedDeadline, picked);
    assert.notEqual(t.pickedDeadline, t.deadline, 'protection ended with the moved deadline');
  });

  it('CFS: a re-pick does not restart the slice (prev_sum_exec_runtime)', () => {
    const { host, rq, t } = running('stock-5.6');
    const sliceStart = t.execAtPickNs;
    host.advanceTo(21e6);
    host.schedOps.schedule(rq);
    assert.equal(rq.curr, t, 're-picked');
    assert.equal(t.execAtPickNs, sliceStart);
    assert.ok(t.sumExecNs > sliceStart);
  });
});
