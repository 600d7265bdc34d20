import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { testBrokers } from '../support/services';
import { waitFor } from '../support/wait';
import { busContract } from './bus-contract';

busContract(
  'kafka (real broker)',
  () => new KafkaBus({ brokers: [testBrokers()], clientId: 'spinwise-contract' }),
);

it('replaces a consumer that crashed in a way kafkajs does not restart, and loses nothing', async () => {
  const bus = new KafkaBus({ brokers: [testBrokers()] });
  const topic = `crash-${randomUUID()}`;
  await bus.ensureTopics([{ name: topic, partitions: 1, compacted: false }]);
  const producer = bus.producer();
  await producer.send(
    topic,
    Array.from({ length: 10 }, (_, i) => ({ key: 'n', value: Buffer.from(String(i)) })),
  );
  const consumer = bus.consumer({ groupId: `g-${randomUUID()}`, topics: [topic], fromBeginning: true });
  const handled: string[] = [];
  let thrown = false;
  try {
    await consumer.start(async (m) => {
      // kafkajs treats a TypeError as unrecoverable: its consumer stops for good (no restart).
      if (m.value.toString() === '5' && !thrown) {
        thrown = true;
        throw new TypeError('a bug in a handler');
      }
      handled.push(m.value.toString());
    });
    await waitFor('all ten handled', () => handled.length >= 10, 60_000);
    assert.deepEqual(handled, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'each once, in order');
    assert.equal(consumer.health().replaced, 1);
    assert.equal(consumer.health().crashed, null, 'the replacement joined');
  } finally {
    await bus.close();
  }
});
