import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { cloneAs, recordSimulatedNode } from '../../src/agent/simulated-node/record-node';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { codecs, defaultTopicSpecs, TOPICS } from '../../src/telemetry';
import { testBrokers } from '../support/services';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..', '..');

it('on SIGTERM the advisor stops step by step and exits within its deadline, with an analysis in flight', async () => {
  const node = `shutdown-${Date.now().toString(36)}`;
  const recorded = await recordSimulatedNode(
    parseScenarioYaml(readFileSync(join(ROOT, 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8')),
    'template',
    { intervals: 7, intervalNs: 10_000_000_000 },
  );
  const clone = cloneAs(recorded, node);
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'spinwise.js'), 'advisor', '--port', '0', '--shutdown-timeout', '12s'],
    {
      env: { ...process.env, SPINWISE_KAFKA_BROKERS: testBrokers(), SPINWISE_INFLUX_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    await waitFor('the advisor to listen', () => /API and dashboard on (http:\/\/\S+)/.test(err), 60_000);
    const url = /API and dashboard on (http:\/\/\S+)/.exec(err)![1]!;
    const bus = new KafkaBus({ brokers: [testBrokers()] });
    await bus.ensureTopics(defaultTopicSpecs());
    const producer = bus.producer();
    await producer.send(TOPICS.inventory, [{ key: node, value: codecs.inventory.encode(clone.inventory) }]);
    // Seven 10 s samples from an epoch boundary: the seventh closes the first minute's window.
    const baseMs = Math.floor((Date.now() - 600_000) / 60_000) * 60_000;
    await producer.send(
      TOPICS.samples,
      Array.from({ length: 7 }, (_, seq) => ({
        key: node,
        value: codecs.sample.encode(clone.sample(seq, baseMs + (seq + 1) * 10_000)),
      })),
    );
    await producer.close();
    await bus.close();
    await waitFor(
      'an analysis in flight',
      async () => /^spinwise_analyses_in_flight [1-9]/m.test(await (await fetch(`${url}/metrics`)).text()),
      60_000,
    );
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const ms = Date.now() - t0;
    process.stderr.write(`advisor SIGTERM → exit: ${ms} ms\n`);
    assert.equal(code, 0, err);
    assert.ok(ms < 12_000, `exited after ${ms} ms`);
    assert.match(err, /SIGTERM: stopping \(deadline 12 s\)/);
    // Nest's shutdown hooks (AdvisorLifecycle) stop each part in reverse order of start, then the adapters.
    assert.match(
      err,
      /stopped the planner: done \(\d+ ms\)\n.*stopped the fleet view: done \(\d+ ms\)\n.*stopped analyses and the samples consumer: done \(\d+ ms\)\n.*stopped Kafka: done/,
    );
    assert.match(err, /stopped Kafka: done/);
    assert.match(err, /stopped in \d+ ms/);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
});
