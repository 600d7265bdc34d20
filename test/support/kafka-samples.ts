import { randomUUID } from 'node:crypto';
import type { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { codecs, TOPICS, type NodeSample } from '../../src/telemetry';
import { sleep, waitFor } from './wait';

/** Every sample of `node` on spinwise.samples.v1, in the order the topic holds them. */
export async function samplesOf(bus: KafkaBus, node: string, atLeast: number): Promise<NodeSample[]> {
  const got: NodeSample[] = [];
  const consumer = bus.consumer({
    groupId: `check-${randomUUID()}`,
    topics: [TOPICS.samples],
    fromBeginning: true,
  });
  await consumer.start(async (m) => {
    if (m.key === node) got.push(codecs.sample.decode(m.value));
  });
  try {
    await waitFor(
      `${atLeast} samples of ${node}`,
      () => got.length >= atLeast,
      60_000,
      () => got.length,
    );
    await sleep(1_000); // a duplicate would arrive here
  } finally {
    // Also when too few came: an open consumer would keep the test file running to its timeout.
    await consumer.stop();
  }
  return got;
}
