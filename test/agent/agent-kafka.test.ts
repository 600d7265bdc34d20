import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withKafkaDown } from '../../deploy/dev/services';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import { SimulatedNode } from '../../src/agent/simulated-node/simulated-node';
import { DiskSpool } from '../../src/agent/sinks/disk-spool';
import { SpoolingBusSink } from '../../src/agent/sinks/spooling-bus-sink';
import { main } from '../../src/cli/main';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { defaultTopicSpecs } from '../../src/telemetry';
import { servicesStateFile, testBrokers } from '../support/services';
import { samplesOf } from '../support/kafka-samples';
import { sleep, waitFor } from '../support/wait';

const scenarioFile = join(__dirname, '..', '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml');

describe('agent → real Kafka', () => {
  it('a 30 s broker outage mid-run: every sample arrives exactly once per (node, seq), in order', async () => {
    const node = `outage-${randomUUID().slice(0, 8)}`;
    const bus = new KafkaBus({ brokers: [testBrokers()], retryForMs: 3_000 });
    await bus.ensureTopics(defaultTopicSpecs());
    const sim = new SimulatedNode(
      parseScenarioYaml(readFileSync(scenarioFile, 'utf8')),
      mkdtempSync(join(tmpdir(), 'spinwise-sim-')),
    );
    await sim.init();
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'spinwise-spool-')), 64 << 20);
    const sink = new SpoolingBusSink(bus.producer(), spool);
    const agent = new Agent({ node, root: new HostRoot(sim.dir), sink, spool, clock: () => Date.now() });
    await agent.start();
    const step = async () => {
      await sim.advance(20_000_000);
      await agent.sample();
      await sleep(1_000);
    };
    for (let i = 0; i < 3; i++) await step();
    await sink.flush();
    let spooledWhileDown = 0;
    await withKafkaDown(servicesStateFile(), async () => {
      const until = Date.now() + 30_000;
      while (Date.now() < until) await step();
      spooledWhileDown = spool.pendingBytes;
    });
    for (let i = 0; i < 3; i++) await step();
    await waitFor(
      'the spool to drain',
      () => spool.pendingBytes === 0,
      60_000,
      () => spool.pendingBytes,
    );
    await agent.stop();
    assert.ok(spooledWhileDown > 0, 'samples waited in the spool while the broker was down');
    const total = spool.nextSeq;
    const got = await samplesOf(bus, node, total);
    await bus.close();
    assert.ok(total >= 30, `${total} samples`);
    assert.deepEqual(
      got.map((s) => s.seq),
      Array.from({ length: total }, (_, i) => i),
    );
  });

  it('an agent killed with a non-empty spool drains it, in order, when it starts again', async () => {
    const node = `killed-${randomUUID().slice(0, 8)}`;
    const spoolDir = mkdtempSync(join(tmpdir(), 'spinwise-spool-'));
    const args = [
      'agent',
      '--node',
      node,
      '--simulate',
      scenarioFile,
      '--interval',
      '100ms',
      '--speed',
      '2',
      '--spool-dir',
      spoolDir,
    ];
    const bin = join(__dirname, '..', '..', '..', 'bin', 'spinwise.js');
    // Nothing listens on port 1: every send fails and the samples stay in the spool.
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, SPINWISE_KAFKA_BROKERS: '127.0.0.1:1' },
      stdio: 'ignore',
    });
    const state = join(spoolDir, 'state.json');
    await waitFor(
      '5 spooled samples',
      () => existsSync(state) && JSON.parse(readFileSync(state, 'utf8')).nextSeq >= 5,
      60_000,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const left = new DiskSpool(spoolDir, 64 << 20);
    assert.ok(left.pendingBytes > 0, 'the killed agent left a non-empty spool');
    // Where the restarted agent numbers on: above every spooled sample, even one whose seq the
    // kill kept from being saved.
    const killedAt = left.nextSeq;

    process.env.SPINWISE_KAFKA_BROKERS = testBrokers();
    try {
      const io = { out: () => undefined, err: () => undefined };
      assert.equal(await main([...args, '--intervals', '1', '--speed', 'max'], io), 0);
    } finally {
      delete process.env.SPINWISE_KAFKA_BROKERS;
    }
    assert.equal(new DiskSpool(spoolDir, 64 << 20).pendingBytes, 0, 'drained');
    const bus = new KafkaBus({ brokers: [testBrokers()] });
    const got = await samplesOf(bus, node, killedAt + 1);
    await bus.close();
    assert.deepEqual(
      got.map((s) => s.seq),
      Array.from({ length: killedAt + 1 }, (_, i) => i),
      'the spooled samples, then the restarted agent’s first, numbered on',
    );
  });
});
