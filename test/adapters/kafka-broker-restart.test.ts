import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { withKafkaDown } from '../../deploy/dev/services';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import type { BusMessage } from '../../src/adapters/bus/message-bus';
import { servicesStateFile, testBrokers } from '../support/services';
import { sleep, waitFor } from '../support/wait';

it('keeps retrying a send while the broker is down and loses nothing it acknowledged', async () => {
  const bus = new KafkaBus({ brokers: [testBrokers()], retryForMs: 90_000 });
  const topic = `restart-${randomUUID()}`;
  await bus.ensureTopics([{ name: topic, partitions: 3, compacted: false }]);
  const producer = bus.producer();
  const batch = (from: number) =>
    Array.from({ length: 50 }, (_, i) => ({
      key: `node-${(from + i) % 5}`,
      value: Buffer.from(String(from + i)),
    }));
  await producer.send(topic, batch(0));

  let settled = false;
  let pending: Promise<void> | undefined;
  await withKafkaDown(servicesStateFile(), async () => {
    pending = producer.send(topic, batch(50)).finally(() => {
      settled = true;
    });
    await sleep(3_000);
    assert.equal(settled, false, 'the send waits for the broker instead of failing');
  });
  await pending;
  await producer.send(topic, batch(100));

  const got: BusMessage[] = [];
  const consumer = bus.consumer({ groupId: `g-${randomUUID()}`, topics: [topic], fromBeginning: true });
  await consumer.start(async (m) => {
    got.push(m);
  });
  await waitFor(
    '150 messages',
    () => got.length >= 150,
    60_000,
    () => got.length,
  );
  await sleep(500);
  await bus.close();

  const values = got.map((m) => Number(m.value.toString()));
  assert.equal(values.length, 150, 'no duplicates from the retried batch');
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    Array.from({ length: 150 }, (_, i) => i),
  );
  for (let k = 0; k < 5; k++) {
    const mine = got.filter((m) => m.key === `node-${k}`).map((m) => Number(m.value.toString()));
    assert.deepEqual(
      mine,
      [...mine].sort((a, b) => a - b),
      `node-${k} stays in order across the restart`,
    );
  }
});
