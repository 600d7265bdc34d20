import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { BusConsumer, BusMessage, MessageBus } from '../../src/adapters/bus/message-bus';
import { DeadLetterBatch } from '../../src/adapters/bus/dead-letter-batch';
import { routeInvalidToDeadLetter } from '../../src/adapters/bus/dead-letter-router';
import { partitionForKey } from '../../src/adapters/bus/murmur2-partitioner';
import { codecs, TOPICS, type DeadLetter, type NodeSample } from '../../src/telemetry';
import { sampleFixture } from '../support/telemetry-fixtures';
import { waitFor, sleep } from '../support/wait';

const encode = (key: string, seq: number) => ({ key, value: Buffer.from(JSON.stringify({ key, seq })) });
const decode = (m: BusMessage) => JSON.parse(m.value.toString()) as { key: string; seq: number };

/** Starts a consumer that records what it receives. */
async function recording(bus: MessageBus, groupId: string, topics: string[]) {
  const got: BusMessage[] = [];
  const consumer = bus.consumer({ groupId, topics, fromBeginning: true });
  await consumer.start(async (m) => {
    got.push(m);
  });
  return { consumer, got };
}

function owned(consumer: BusConsumer, topic: string): number[] {
  return consumer.assignment()[topic] ?? [];
}

/** One behaviour contract for every MessageBus implementation. */
export function busContract(label: string, makeBus: () => MessageBus): void {
  describe(`message bus contract: ${label}`, () => {
    let bus: MessageBus;
    const topic = (partitions: number) => ({
      name: `contract-${randomUUID()}`,
      partitions,
      compacted: false,
    });

    before(() => {
      bus = makeBus();
    });
    after(async () => {
      await bus.close();
    });

    it('delivers a tombstone (null value) as an empty value with its key, after the record it removes', async () => {
      const t = { ...topic(2), compacted: true };
      await bus.ensureTopics([t]);
      const producer = bus.producer();
      await producer.send(t.name, [encode('gone-node', 1)]);
      await producer.send(t.name, [{ key: 'gone-node', value: null }]);
      const { consumer, got } = await recording(bus, `g-${randomUUID()}`, [t.name]);
      await waitFor('the record and its tombstone', () => got.length >= 2, 30_000);
      assert.deepEqual(
        got.map((m) => [m.key, m.value.length === 0]),
        [
          ['gone-node', false],
          ['gone-node', true],
        ],
      );
      await consumer.stop();
      await producer.close();
    });

    it('keeps each key in order on its murmur2 partition', async () => {
      const t = topic(6);
      await bus.ensureTopics([t]);
      const producer = bus.producer();
      const keys = Array.from({ length: 10 }, (_, i) => `node-${i}`);
      for (let round = 0; round < 50; round += 5) {
        const batch = [];
        for (let seq = round; seq < round + 5; seq++) for (const k of keys) batch.push(encode(k, seq));
        await producer.send(t.name, batch);
      }
      const { consumer, got } = await recording(bus, `g-${randomUUID()}`, [t.name]);
      await waitFor(
        '500 messages',
        () => got.length >= 500,
        30_000,
        () => got.length,
      );
      await consumer.stop();
      await producer.close();

      assert.equal(got.length, 500);
      for (const k of keys) {
        const mine = got.filter((m) => m.key === k);
        assert.deepEqual(
          mine.map((m) => decode(m).seq),
          Array.from({ length: 50 }, (_, i) => i),
          `order of ${k}`,
        );
        assert.deepEqual(
          [...new Set(mine.map((m) => m.partition))],
          [partitionForKey(k, 6)],
          `partition of ${k}`,
        );
      }
    });

    it('splits partitions across a group and hands them over when a member stops', async () => {
      const t = topic(4);
      await bus.ensureTopics([t]);
      const group = `g-${randomUUID()}`;
      const a = await recording(bus, group, [t.name]);
      const b = await recording(bus, group, [t.name]);
      await waitFor(
        'a disjoint split of all 4 partitions',
        () => {
          const all = [...owned(a.consumer, t.name), ...owned(b.consumer, t.name)].sort();
          return (
            all.join() === '0,1,2,3' &&
            owned(a.consumer, t.name).length > 0 &&
            owned(b.consumer, t.name).length > 0
          );
        },
        30_000,
        () => [a.consumer.assignment(), b.consumer.assignment()],
      );

      const producer = bus.producer();
      const keys = Array.from({ length: 20 }, (_, i) => `node-${i}`);
      await producer.send(
        t.name,
        keys.flatMap((k) => Array.from({ length: 10 }, (_, seq) => encode(k, seq))),
      );
      await waitFor('200 messages', () => a.got.length + b.got.length >= 200, 30_000);
      assert.ok(
        a.got.length > 0 && b.got.length > 0,
        `both members consumed (${a.got.length}, ${b.got.length})`,
      );

      await a.consumer.stop();
      await waitFor('b owns every partition', () => owned(b.consumer, t.name).length === 4, 30_000);
      await producer.send(
        t.name,
        keys.flatMap((k) => Array.from({ length: 10 }, (_, i) => encode(k, 10 + i))),
      );
      await waitFor('400 messages', () => a.got.length + b.got.length >= 400, 30_000);
      await sleep(1_000); // a late re-delivery would show up here
      await b.consumer.stop();
      await producer.close();

      const all = [...a.got, ...b.got].map(decode);
      assert.equal(all.length, 400, 'every message exactly once');
      assert.equal(new Set(all.map((m) => `${m.key}/${m.seq}`)).size, 400);
    });

    it('resumes a group from its committed offsets after a restart', async () => {
      const t = topic(3);
      await bus.ensureTopics([t]);
      const group = `g-${randomUUID()}`;
      const producer = bus.producer();
      await producer.send(
        t.name,
        Array.from({ length: 30 }, (_, seq) => encode(`node-${seq % 3}`, seq)),
      );
      const first = await recording(bus, group, [t.name]);
      await waitFor('30 messages', () => first.got.length >= 30);
      await first.consumer.stop();

      await producer.send(
        t.name,
        Array.from({ length: 15 }, (_, i) => encode(`node-${i % 3}`, 30 + i)),
      );
      const second = await recording(bus, group, [t.name]);
      await waitFor('15 new messages', () => second.got.length >= 15);
      await sleep(500);
      await second.consumer.stop();
      await producer.close();
      assert.deepEqual(
        second.got.map((m) => decode(m).seq).sort((x, y) => x - y),
        Array.from({ length: 15 }, (_, i) => 30 + i),
      );
    });

    it('with held commits, a restarted group resumes at what was committed, not at what was handled', async () => {
      const t = topic(2);
      await bus.ensureTopics([t]);
      const group = `g-${randomUUID()}`;
      const producer = bus.producer();
      await producer.send(
        t.name,
        Array.from({ length: 20 }, (_, seq) => encode('node-a', seq)),
      );
      const partition = partitionForKey('node-a', 2);
      const held = (got: number[]) => {
        const consumer = bus.consumer({
          groupId: group,
          topics: [t.name],
          fromBeginning: true,
          holdCommits: true,
        });
        return { consumer, start: () => consumer.start(async (m) => void got.push(decode(m).seq)) };
      };
      const firstGot: number[] = [];
      const first = held(firstGot);
      await first.start();
      await waitFor('20 messages', () => firstGot.length >= 20);
      // Only the first 12 had a durable effect: commit through them.
      await first.consumer.commit([{ topic: t.name, partition, offset: '12', metadata: 'node-a:b' }]);
      await first.consumer.stop();

      const secondGot: number[] = [];
      const second = held(secondGot);
      await second.start();
      assert.equal(
        (await second.consumer.committedMetadata(t.name)).get(partition),
        'node-a:b',
        'the commit’s metadata reaches the next owner',
      );
      await waitFor('8 redelivered', () => secondGot.length >= 8);
      await sleep(500);
      await second.consumer.stop();
      await producer.close();
      assert.deepEqual(secondGot, [12, 13, 14, 15, 16, 17, 18, 19]);
    });

    it('routes invalid messages to the dead-letter topic with the reason and original bytes, and goes on', async () => {
      const t = topic(2);
      await bus.ensureTopics([t, { name: TOPICS.deadLetter, partitions: 1, compacted: false }]);
      const producer = bus.producer();
      const negative = {
        ...sampleFixture('node-b', 2),
        vcpus: [{ vm: 'vm-a', vcpu: 0, tid: 1, pleExits: -4 }],
      };
      const sent = [
        codecs.sample.encode(sampleFixture('node-a', 1)),
        Buffer.from('{not json'),
        Buffer.from(JSON.stringify(negative)),
        codecs.sample.encode(sampleFixture('node-a', 3)),
      ];
      await producer.send(
        t.name,
        sent.map((value) => ({ key: 'node-a', value })),
      );

      const accepted: NodeSample[] = [];
      const deadLetters = new DeadLetterBatch(producer);
      const consumer = bus.consumer({
        groupId: `g-${randomUUID()}`,
        topics: [t.name],
        fromBeginning: true,
        afterBatch: () => deadLetters.flush(),
      });
      await consumer.start(
        routeInvalidToDeadLetter(codecs.sample, deadLetters, async (sample) => {
          accepted.push(sample);
        }),
      );
      const dead: DeadLetter[] = [];
      const dl = bus.consumer({
        groupId: `dl-${randomUUID()}`,
        topics: [TOPICS.deadLetter],
        fromBeginning: true,
      });
      await dl.start(async (m) => {
        const letter = codecs.deadLetter.decode(m.value);
        if (letter.sourceTopic === t.name) dead.push(letter);
      });
      await waitFor('2 accepted and 2 dead letters', () => accepted.length >= 2 && dead.length >= 2, 30_000);
      await Promise.all([consumer.stop(), dl.stop()]);
      await producer.close();

      assert.deepEqual(
        accepted.map((s) => s.seq),
        [1, 3],
      );
      assert.deepEqual(
        dead.map((d) => Buffer.from(d.valueBase64, 'base64')),
        [sent[1], sent[2]],
      );
      assert.match(dead[0]!.reason, /not JSON/);
      assert.match(dead[1]!.reason, /vcpus\[0\]\.pleExits: got -4, expected ≥ 0/);
      assert.deepEqual(
        dead.map((d) => [d.key, d.partition]),
        [
          ['node-a', partitionForKey('node-a', 2)],
          ['node-a', partitionForKey('node-a', 2)],
        ],
      );
    });
  });
}
