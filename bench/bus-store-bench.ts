import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokersOf, influxUrlOf, startServices, stopServices } from '../deploy/dev/services';
import { EmbeddedBus } from '../src/adapters/bus/embedded-bus';
import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import type { MessageBus } from '../src/adapters/bus/message-bus';
import { EmbeddedStore } from '../src/adapters/store/embedded-store';
import { InfluxStore } from '../src/adapters/store/influx-store';
import type { Point, TimeSeriesStore } from '../src/adapters/store/time-series-store';
import { printTable, timed } from './table';

const MESSAGES = 20_000;
const BATCH = 100; // one agent flush: a sample per node, ~1 KiB each
const POINTS = 100_000;
const POINT_BATCH = 5_000;

async function busRun(bus: MessageBus): Promise<(string | number)[]> {
  const topic = `bench-${randomUUID()}`;
  await bus.ensureTopics([{ name: topic, partitions: 12, compacted: false }]);
  const value = Buffer.alloc(1024, 'x');
  const producer = bus.producer();
  const produced = await timed(async () => {
    for (let i = 0; i < MESSAGES; i += BATCH)
      await producer.send(
        topic,
        Array.from({ length: BATCH }, (_, j) => ({ key: `node-${(i + j) % 1000}`, value })),
      );
  });
  let received = 0;
  const consumer = bus.consumer({ groupId: `bench-${randomUUID()}`, topics: [topic], fromBeginning: true });
  const consumed = await timed(async () => {
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await consumer.start(async () => {
      if (++received === MESSAGES) done();
    });
    await all;
  });
  await consumer.stop();
  await producer.close();
  await bus.close();
  return [bus.kind, MESSAGES, (MESSAGES / produced.ms) * 1000, (MESSAGES / consumed.ms) * 1000];
}

async function storeRun(store: TimeSeriesStore): Promise<(string | number)[]> {
  await store.open();
  const start = Date.now() - 30 * 60_000;
  const points: Point[] = Array.from({ length: POINTS }, (_, i) => ({
    measurement: 'vcpu',
    tags: { node: `node-${i % 1000}`, vm: `vm-${i % 7}` },
    fields: { pleExits: i % 977, runNs: 9e9, waitNs: (i * 7919) % 1e9 },
    timestampMs: start + Math.floor(i / 1000) * 10_000,
  }));
  const wrote = await timed(async () => {
    for (let i = 0; i < POINTS; i += POINT_BATCH) await store.write(points.slice(i, i + POINT_BATCH));
  });
  const queried = await timed(() =>
    store.query({
      measurement: 'vcpu',
      field: 'pleExits',
      aggregate: 'mean',
      fromMs: start,
      toMs: Date.now(),
      bucketMs: 60_000,
      groupBy: ['vm'],
    }),
  );
  await store.close();
  return [store.kind, POINTS, (POINTS / wrote.ms) * 1000, queried.ms];
}

/** Embedded vs real services, side by side: bus messages/s, store points/s. */
export async function busStoreBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-bench-'));
  const stateFile = join(dir, 'services.json');
  try {
    const services = await startServices(stateFile);
    const bus = [
      await busRun(new EmbeddedBus()),
      await busRun(new KafkaBus({ brokers: [brokersOf(services)] })),
    ];
    printTable(
      `message bus: ${MESSAGES} messages of 1 KiB, batches of ${BATCH}, 12 partitions, 1000 keys`,
      ['bus', 'messages', 'produced/s', 'consumed/s'],
      bus,
    );
    const database = `bench_${randomUUID().replace(/-/g, '')}`;
    const store = [
      await storeRun(new EmbeddedStore({ database, retentionMs: 86_400_000 })),
      await storeRun(new InfluxStore({ url: influxUrlOf(services), database, retentionMs: 86_400_000 })),
    ];
    printTable(
      `time-series store: ${POINTS} points, batches of ${POINT_BATCH}, 7,000 series`,
      ['store', 'points', 'written/s', 'GROUP BY query ms'],
      store,
    );
  } finally {
    await stopServices(stateFile);
    rmSync(dir, { recursive: true, force: true });
  }
}
