import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import { SimulatedNode } from '../../src/agent/simulated-node/simulated-node';
import type { OutgoingRecord, Sink } from '../../src/agent/sinks/sink';
import { DiskSpool } from '../../src/agent/sinks/disk-spool';
import { SpoolingBusSink } from '../../src/agent/sinks/spooling-bus-sink';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { codecs, TOPICS, type NodeSample } from '../../src/telemetry';

const paper = () =>
  parseScenarioYaml(
    readFileSync(join(__dirname, '..', '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8'),
  );

class CapturingSink implements Sink {
  readonly records: OutgoingRecord[] = [];
  readonly lastDeliveredMs = null;
  write(records: OutgoingRecord[]): void {
    this.records.push(...records);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('agent on a simulated node', () => {
  it('reports, per vCPU and interval, exactly the PLE exits and schedstat deltas the model produced', async () => {
    const node = new SimulatedNode(paper(), mkdtempSync(join(tmpdir(), 'spinwise-sim-')), 'stock-5.6');
    await node.init();
    const sink = new CapturingSink();
    const agent = new Agent({
      node: 'paper',
      root: new HostRoot(node.dir),
      sink,
      clock: () => Math.round(node.nowNs / 1e6),
    });
    await agent.start();
    let before = node.counters();
    for (let i = 0; i < 3; i++) {
      await node.advance(200_000_000);
      const sample = await agent.sample();
      const after = node.counters();
      assert.equal(sample.vcpus.length, 32);
      for (const [j, v] of sample.vcpus.entries()) {
        const model = after[j]!;
        assert.deepEqual([v.vm, v.vcpu], [model.vm, model.vcpu]);
        assert.equal(
          v.pleExits,
          model.pleExits - before[j]!.pleExits,
          `${v.vm}/${v.vcpu} PLE exits in interval ${i}`,
        );
        assert.equal(v.pleWindowGrows, model.pleWindowUpdates - before[j]!.pleWindowUpdates);
        assert.equal(v.runNs, model.runNs - before[j]!.runNs);
        assert.equal(v.waitNs, model.waitNs - before[j]!.waitNs);
      }
      assert.ok(sample.vcpus.reduce((a, v) => a + v.pleExits!, 0) > 1000, 'the paper scenario spins');
      before = after;
    }
    await agent.stop();
    const samples = sink.records
      .filter((r) => r.topic === TOPICS.samples)
      .map((r) => codecs.sample.decode(r.value));
    assert.deepEqual(
      samples.map((s) => s.seq),
      [0, 1, 2],
    );
    assert.equal(
      sink.records.filter((r) => r.topic === TOPICS.inventory).length,
      1,
      'inventory sent once, unchanged since',
    );
    const trigger = readFileSync(join(node.dir, 'sys/kernel/tracing/events/kvm/kvm_exit/trigger'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(trigger.length, 2, 'installed, then removed on stop');
    assert.equal(trigger[1], `!${trigger[0]}`);
  });

  it('claims a sample’s seq on disk only after the sample is spooled (a kill in between loses nothing)', async () => {
    const node = new SimulatedNode(paper(), mkdtempSync(join(tmpdir(), 'spinwise-sim-')), 'ple-kvm');
    await node.init();
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'spinwise-spool-')), 1 << 20);
    const stateFile = join(spool.dir, 'state.json');
    const savedAtWrite: number[] = [];
    const sink = new (class extends CapturingSink {
      override write(records: OutgoingRecord[]): void {
        if (records.some((r) => r.topic === TOPICS.samples))
          savedAtWrite.push(existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')).nextSeq : 0);
        spool.append(records);
      }
    })();
    const agent = new Agent({
      node: 'ordered',
      root: new HostRoot(node.dir),
      sink,
      spool,
      clock: () => Math.round(node.nowNs / 1e6),
    });
    await agent.start();
    for (let i = 0; i < 3; i++) {
      await node.advance(50_000_000);
      const { seq } = await agent.sample();
      assert.equal(savedAtWrite[i], seq, `seq ${seq} is not yet claimed on disk while it is being spooled`);
      assert.equal(new DiskSpool(spool.dir, 1 << 20).nextSeq, seq + 1, 'and is claimed once it is');
    }
    // A kill between the two: the state still says the last sample's seq, the spool holds it.
    const last = spool.nextSeq - 1;
    spool.nextSeq = last;
    assert.equal(new DiskSpool(spool.dir, 1 << 20).nextSeq, last + 1, 'a reopened spool numbers on above it');
    await agent.stop().catch(() => undefined);
  });

  it('reports samples it had to drop when the spool is full', async () => {
    const node = new SimulatedNode(paper(), mkdtempSync(join(tmpdir(), 'spinwise-sim-')), 'ple-kvm');
    await node.init();
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'spinwise-spool-')), 40_000, {
      keepNewestOf: new Set([TOPICS.inventory]),
    });
    const down = { send: async () => Promise.reject(new Error('broker down')), close: async () => undefined };
    const errors: string[] = [];
    const agent = new Agent({
      node: 'full',
      root: new HostRoot(node.dir),
      sink: new SpoolingBusSink(down, spool, (e) => errors.push(e)),
      spool,
      clock: () => Math.round(node.nowNs / 1e6),
    });
    await agent.start();
    const samples: NodeSample[] = [];
    for (let i = 0; i < 6; i++) {
      await node.advance(50_000_000);
      samples.push(await agent.sample());
    }
    assert.ok(spool.dropped > 0, 'some samples did not fit');
    assert.ok(spool.pendingBytes <= 40_000);
    const reported = samples[samples.length - 1]!.agent.droppedSamples;
    assert.ok(
      reported > 0 && reported <= spool.dropped,
      `last sample reports ${reported} of ${spool.dropped} drops`,
    );
    const kept = spool.peek(100).messages.filter((m) => m.topic === TOPICS.samples);
    assert.equal(JSON.parse(kept.at(-1)!.value).seq, 5, 'the oldest are dropped, never the newest');
    assert.ok(
      spool.peek(100).messages.some((m) => m.topic === TOPICS.inventory),
      'the inventory is kept',
    );
    assert.ok(
      samples.some((s) => s.agent.droppedSamples > 0),
      'later samples report the drops',
    );
    assert.ok(
      errors.some((e) =>
        /dropped \d+ message\(s\) \(spool full \(40000 bytes\): the oldest samples dropped\)/.test(e),
      ),
    );
    await agent.stop().catch(() => undefined);
  });
});
