import { Command } from 'commander';
import { EmbeddedBus } from '../adapters/bus/embedded-bus';
import { DeadLetterBatch } from '../adapters/bus/dead-letter-batch';
import { routeInvalidToDeadLetter } from '../adapters/bus/dead-letter-router';
import { EmbeddedStore } from '../adapters/store/embedded-store';
import { codecs, defaultTopicSpecs, TOPICS, type NodeSample } from '../telemetry';
import type { CliIo } from './cli-error';

/**
 * `spinwise roundtrip`: proves the embedded defaults work end to end on this machine — a sample
 * and a corrupt message go through the in-process bus, the valid one lands in the embedded store.
 */
export function roundtripCommand(io: CliIo): Command {
  return new Command('roundtrip')
    .description(
      'send a sample and a corrupt message through the embedded bus and store, and show where each arrived',
    )
    .action(() => run(io));
}

async function run(io: CliIo): Promise<void> {
  const bus = new EmbeddedBus();
  await bus.ensureTopics(defaultTopicSpecs());
  const store = new EmbeddedStore({ database: 'spinwise', retentionMs: 24 * 3_600_000 });
  const producer = bus.producer();
  const now = Date.now();
  const sample: NodeSample = {
    schema: 'spinwise.sample.v1',
    node: 'demo-node-1',
    seq: 0,
    timestampMs: now,
    intervalMs: 10_000,
    seriesRestarted: false,
    vcpus: [
      { vm: 'vm-a', vcpu: 0, tid: 1001, runNs: 8_000_000_000, waitNs: 2_000_000_000, pleExits: 41_000 },
    ],
    vms: [],
    host: {},
    agent: { spoolBytes: 0, droppedSamples: 0 },
    missing: [{ signal: 'kvmStats', reason: 'roundtrip: no KVM on this path' }],
  };
  const done = new Promise<NodeSample>((resolve) => {
    const deadLetters = new DeadLetterBatch(producer);
    const consumer = bus.consumer({
      groupId: 'roundtrip',
      topics: [TOPICS.samples],
      fromBeginning: true,
      afterBatch: () => deadLetters.flush(),
    });
    void consumer.start(
      routeInvalidToDeadLetter(codecs.sample, deadLetters, async (s) => {
        await store.write(
          s.vcpus.map((v) => ({
            measurement: 'vcpu',
            tags: { node: s.node, vm: v.vm },
            fields: { pleExits: v.pleExits ?? 0 },
            timestampMs: s.timestampMs,
          })),
        );
        resolve(s);
      }),
    );
  });
  const dead = new Promise<string>((resolve) => {
    const consumer = bus.consumer({
      groupId: 'roundtrip-dl',
      topics: [TOPICS.deadLetter],
      fromBeginning: true,
    });
    void consumer.start(async (m) => resolve(codecs.deadLetter.decode(m.value).reason));
  });
  await producer.send(TOPICS.samples, [
    {
      key: 'demo-node-1',
      value: Buffer.from('{"schema":"spinwise.sample.v1","node":"demo-node-1","seq":"one"}'),
    },
    { key: 'demo-node-1', value: codecs.sample.encode(sample) },
  ]);
  const [received, reason] = await Promise.all([done, dead]);
  const [series] = await store.query({
    measurement: 'vcpu',
    field: 'pleExits',
    aggregate: 'sum',
    fromMs: now - 60_000,
    toMs: now + 60_000,
    bucketMs: 60_000,
  });
  io.out(`embedded bus: sample seq ${received.seq} of ${received.node} delivered on ${TOPICS.samples}\n`);
  io.out(`embedded bus: corrupt message dead-lettered: ${reason}\n`);
  io.out(`embedded store: ${series?.buckets[0]?.value ?? 0} PLE exits stored for ${received.node}\n`);
  await bus.close();
}
