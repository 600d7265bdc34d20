import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EmbeddedBus } from '../../src/adapters/bus/embedded-bus';
import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { AdvisorCore } from '../../src/advisor/ingest/advisor-core';
import { codecs, TOPICS, type NodeSample } from '../../src/telemetry';
import { tinyInventory, tinySample } from '../support/tiny-node';
import { waitFor } from '../support/wait';

const inventory = (node: string) => tinyInventory(node);
const sample = (node: string, seq: number, baseMs: number) => tinySample(node, seq, baseMs);

/**
 * One advisor on the embedded bus: inventories first (or not), then `messages` on the samples
 * topic in the given order; returns, per node, the seqs each analysis counted as new.
 */
async function ingest(
  inventories: string[],
  messages: { key: string; value: Buffer }[],
  options: ConstructorParameters<typeof AdvisorCore>[2] = {},
  until: (core: AdvisorCore, dead: string[]) => boolean = () => true,
): Promise<{ fresh: Map<string, number[]>; core: AdvisorCore; dead: string[] }> {
  const bus = new EmbeddedBus();
  const fresh = new Map<string, number[]>();
  const dead: string[] = [];
  const core = new AdvisorCore(
    bus,
    new EmbeddedStore({ database: 'spinwise', retentionMs: 86_400_000 }),
    {
      analysisWorkers: 1,
      ...options,
    },
    [{ analysis: (a, cost) => void fresh.set(a.node, [...(fresh.get(a.node) ?? []), ...cost.freshSeqs]) }],
  );
  await core.start();
  const reader = bus.consumer({ groupId: 'dead', topics: [TOPICS.deadLetter], fromBeginning: true });
  try {
    await reader.start(async (m) => void dead.push(codecs.deadLetter.decode(m.value).reason));
    const producer = bus.producer();
    await producer.send(
      TOPICS.inventory,
      inventories.map((n) => ({ key: n, value: codecs.inventory.encode(inventory(n)) })),
    );
    await producer.send(TOPICS.samples, messages);
    await waitFor('every message handled', () => core.metrics.messagesHandled === messages.length, 30_000);
    while ((await core.analyseNow()).analysed.length > 0);
    await waitFor(
      'the expected outcome',
      () => until(core, dead),
      10_000,
      () => dead,
    );
  } finally {
    await reader.stop();
    await core.stop();
    await bus.close();
  }
  return { fresh, core, dead };
}

const encode = (s: NodeSample) => ({ key: s.node, value: codecs.sample.encode(s) });

describe('advisor ingest: hostile and broken input', () => {
  it('a forged far-future timestamp is dead-lettered, and a forged huge seq starts a new series: the node’s real samples are analysed as before', async () => {
    const baseMs = Date.now() - 3_600_000;
    const real = Array.from({ length: 24 }, (_, seq) => sample('kvm-1', seq, baseMs));
    const future = {
      ...sample('kvm-1', 12, baseMs),
      seq: 9e15,
      timestampMs: Date.parse('2100-01-01T00:00:00Z'),
    };
    const hugeSeq = { ...sample('kvm-1', 12, baseMs), seq: 9e15 };
    const messages = [...real.slice(0, 12), future, hugeSeq, ...real.slice(12)].map(encode);
    const { fresh, core, dead } = await ingest(['kvm-1'], messages, {}, (_, d) => d.length === 1);
    assert.equal(core.metrics.refusedClock, 1);
    assert.match(
      dead.join('\n'),
      /timestampMs: 2100-01-01T00:00:00\.000Z is outside what this advisor accepts \(ahead of its clock/,
    );
    assert.equal(core.metrics.seriesRestarts, 2, 'into the forged seq, and back to the real ones');
    const counted = fresh.get('kvm-1')!;
    for (const s of real)
      assert.equal(counted.filter((x) => x === s.seq).length, 1, `seq ${s.seq} analysed once`);
  });

  it('samples of a node without an inventory wait a bounded time, then go to the dead-letter topic and the commit moves on', async () => {
    const baseMs = Date.now() - 600_000;
    const messages = Array.from({ length: 5 }, (_, seq) => encode(sample('ghost', seq, baseMs)));
    const { core, dead, fresh } = await ingest(
      [],
      messages,
      { inventoryWaitMs: 300 },
      (_, d) => d.length === 5,
    );
    assert.match(dead[0]!, /no inventory of ghost arrived within 0\.3 s of its first sample/);
    assert.equal(core.metrics.refusedNoInventory, 5);
    assert.equal(fresh.size, 0);
    assert.deepEqual(core.ownedNodes(), [], 'no node state for a name without an inventory');
  });

  it('caps the nodes it tracks, with a metric', async () => {
    const baseMs = Date.now() - 600_000;
    const messages = ['a', 'b', 'c'].map((n) => encode(sample(`cap-${n}`, 0, baseMs)));
    const { core, dead } = await ingest(
      ['cap-a', 'cap-b', 'cap-c'],
      messages,
      { maxNodes: 2 },
      (_, d) => d.length === 1,
    );
    assert.equal(core.metrics.refusedNodeCap, 1);
    assert.match(dead.join('\n'), /cap-c is beyond the 2 nodes this advisor tracks/);
  });

  it('caps the store series a node writes, with a metric, and still analyses it', async () => {
    const baseMs = Date.now() - 600_000;
    // A producer renaming its VM at every sample: each sample a new series.
    const messages = Array.from({ length: 12 }, (_, seq) => {
      const s = sample('renamer', seq, baseMs);
      return encode({ ...s, vcpus: s.vcpus.map((v) => ({ ...v, vm: `vm-${seq}` })) });
    });
    const { core, fresh } = await ingest(['renamer'], messages, { maxSeriesPerNode: 4 });
    assert.ok(core.metrics.pointsRefusedSeriesCap >= 8, `${core.metrics.pointsRefusedSeriesCap} refused`);
    assert.equal(fresh.get('renamer')?.length, 12, 'every sample analysed all the same');
  });

  it('nothing valid is lost and nothing counted twice, whatever duplicates, replays, reorderings and garbage surround it', async () => {
    const baseMs = Date.now() - 3_600_000;
    const nodes = ['kvm-a', 'kvm-b'];
    const garbage = [
      Buffer.from('not json'),
      Buffer.from('{"schema":"spinwise.sample.v1","node":"kvm-a","seq":"x"}'),
      Buffer.from(JSON.stringify({ ...sample('kvm-a', 1, baseMs), vcpus: 'many' })),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 6, max: 30 }),
        // Per position: how far a sample is delayed (a straggler within the window), how often it is repeated.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 })), {
          minLength: 60,
          maxLength: 60,
        }),
        fc.array(fc.tuple(fc.nat({ max: 200 }), fc.constantFrom(...garbage)), { maxLength: 6 }),
        async (count, shape, junk) => {
          const order: { at: number; m: { key: string; value: Buffer } }[] = [];
          nodes.forEach((node, n) => {
            for (let seq = 0; seq < count; seq++) {
              const [delay, copies] = shape[(seq + n * 30) % shape.length]!;
              for (let c = 0; c < copies; c++)
                order.push({ at: seq + delay + c * 3 + n * 0.5, m: encode(sample(node, seq, baseMs)) });
            }
          });
          for (const [at, value] of junk) order.push({ at: at % (count + 4), m: { key: 'kvm-a', value } });
          order.sort((x, y) => x.at - y.at);
          const { fresh } = await ingest(
            nodes,
            order.map((o) => o.m),
            { analysisIntervalMs: 30_000 },
          );
          for (const node of nodes) {
            const counted = [...(fresh.get(node) ?? [])].sort((a, b) => a - b);
            assert.deepEqual(
              counted,
              Array.from({ length: count }, (_, i) => i),
              `${node}: every seq exactly once`,
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
