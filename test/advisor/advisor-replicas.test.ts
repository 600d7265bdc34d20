import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { partitionForKey } from '../../src/adapters/bus/murmur2-partitioner';
import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { AdvisorCore } from '../../src/advisor/ingest/advisor-core';
import { cloneAs, recordSimulatedNode } from '../../src/agent/simulated-node/record-node';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { codecs, defaultTopicSpecs, TOPICS, type NodeAnalysis } from '../../src/telemetry';
import { testBrokers } from '../support/services';
import { sendClones } from '../support/send-clones';
import { waitFor } from '../support/wait';

const SAMPLE_MS = 200;
/** Five samples an epoch: samples 0–4, 5–9, … are analysed together. */
const EPOCH_MS = 5 * SAMPLE_MS;

it('two advisor replicas on real Kafka share the nodes; a stopped one hands its nodes over and a restarted one resumes: every window analysed exactly once', async () => {
  const run = randomUUID().slice(0, 8);
  // Named once the group has split the partitions, three on each replica's (by chance all six could
  // land on one replica's partitions, and the test would then prove nothing about sharing).
  let nodes: string[] = [];
  const bus = new KafkaBus({ brokers: [testBrokers()] });
  await bus.ensureTopics(defaultTopicSpecs());
  const recorded = await recordSimulatedNode(
    parseScenarioYaml(
      readFileSync(join(__dirname, '..', '..', '..', 'scenarios', 'undercommitted.yaml'), 'utf8'),
    ),
    'template',
    { intervals: 5, intervalNs: SAMPLE_MS * 1e6 },
  );
  let clones: ReturnType<typeof cloneAs>[] = [];
  const producer = bus.producer();
  const base = Math.floor((Date.now() - 3_600_000) / EPOCH_MS) * EPOCH_MS;
  const send = (from: number, to: number) => sendClones(producer, clones, from, to, base, SAMPLE_MS);

  const groupId = `advisor-${run}`;
  const analysedBy = new Map<string, string[]>();
  const replica = (name: string) =>
    new AdvisorCore(
      bus,
      new EmbeddedStore({ database: 'spinwise', retentionMs: 24 * 3_600_000 }),
      {
        groupId,
        analysisIntervalMs: EPOCH_MS,
        idleMs: 10 * 60_000,
        analysisWorkers: 1,
        // Other tests' nodes, silent now, hold their partitions' commits until idleMs: start after them.
        fromBeginning: false,
      },
      [
        {
          analysis: (a) => {
            if (nodes.includes(a.node))
              analysedBy.set(`${a.node}/${a.newFromSeq}`, [
                ...(analysedBy.get(`${a.node}/${a.newFromSeq}`) ?? []),
                name,
              ]);
          },
        },
      ],
    );
  const published: NodeAnalysis[] = [];
  const reader = bus.consumer({ groupId: `read-${run}`, topics: [TOPICS.analyses], fromBeginning: true });
  await reader.start(async (m) => {
    const a = codecs.analysis.decode(m.value);
    if (nodes.includes(a.node)) published.push(a);
  });
  const windowsOf = (node: string) =>
    published
      .filter((a) => a.node === node)
      .map((a) => [a.newFromSeq, a.lastSeq])
      .sort((x, y) => x[0]! - y[0]!);
  // Windows closed while the models were busy with an earlier one are analysed together: what
  // is counted is how far each node's samples were analysed, each exactly once.
  const analysedThrough = (node: string) => Math.max(-1, ...windowsOf(node).map((w) => w[1]!));
  const expectWindows = (throughSeq: number) =>
    waitFor(
      `every node analysed through seq ${throughSeq}`,
      () => nodes.every((n) => analysedThrough(n) >= throughSeq),
      90_000,
      () => nodes.map((n) => windowsOf(n)),
    );

  const a = replica('a');
  const b = replica('b');
  const stopped = new Set<AdvisorCore>();
  const stop = async (r: AdvisorCore) => {
    if (stopped.has(r)) return;
    stopped.add(r);
    await r.stop();
  };
  try {
    await a.start();
    await b.start();
    await waitFor(
      'the group to split the partitions',
      () =>
        a.ownedPartitions().length > 0 &&
        b.ownedPartitions().length > 0 &&
        a.ownedPartitions().length + b.ownedPartitions().length === 12,
      30_000,
    );
    const names = Array.from({ length: 200 }, (_, k) => `replica-${run}-${k}`);
    const on = (r: AdvisorCore) =>
      names.filter((n) => r.ownedPartitions().includes(partitionForKey(n, 12))).slice(0, 3);
    nodes = [...on(a), ...on(b)];
    clones = nodes.map((n) => cloneAs(recorded, n));
    await producer.send(
      TOPICS.inventory,
      clones.map((c) => ({ key: c.inventory.node, value: codecs.inventory.encode(c.inventory) })),
    );
    await send(0, 14); // epochs 0 and 1 close; 10–14 stay open
    await expectWindows(9);
    const owners = new Set([...analysedBy.values()].flat());
    assert.deepEqual([...owners].sort(), ['a', 'b'], 'both replicas analysed nodes');

    await stop(a); // a's open windows (samples 10–14 of its nodes) go to b uncommitted
    await send(15, 24); // closes 10–14 and 15–19
    await expectWindows(19);

    await stop(b);
    const c = replica('c');
    await c.start(); // resumes from b's commits: 20–24 are delivered again, not 0–19
    try {
      await send(25, 25); // closes 20–24
      await expectWindows(24);
      await new Promise((r) => setTimeout(r, 1_500)); // a second analysis of anything would show up here
    } finally {
      await c.stop();
    }
    for (const n of nodes) {
      const windows = windowsOf(n);
      // Back to back from 0 to 24, each ending where an epoch ends: every sample new in exactly one analysis.
      assert.deepEqual(
        windows.map((w, i) => w[0] === (i === 0 ? 0 : windows[i - 1]![1]! + 1) && w[1]! % 5 === 4),
        windows.map(() => true),
        `${n}: ${JSON.stringify(windows)}`,
      );
      assert.equal(windows[0]![0], 0);
      assert.equal(windows[windows.length - 1]![1], 24);
    }
    const from20 = [...analysedBy.entries()].filter(([k]) => k.endsWith('/20'));
    assert.equal(from20.length, nodes.length, 'every node has a window from seq 20');
    assert.ok(
      from20.every(([, by]) => by.join() === 'c'),
      'the restarted replica analysed what the stopped one left',
    );
  } finally {
    // A failed assertion must not leave replicas running: the test process would never exit.
    await Promise.all([a, b].map(stop));
    await reader.stop();
    await producer.close();
    await bus.close();
  }
});
