import type { BusProducer } from '../../src/adapters/bus/message-bus';
import type { cloneAs } from '../../src/agent/simulated-node/record-node';
import { codecs, TOPICS } from '../../src/telemetry';

/** Samples `from`…`to` of every clone, sample i stamped `baseMs + (i + 1) × sampleMs`. */
export function sendClones(
  producer: BusProducer,
  clones: readonly ReturnType<typeof cloneAs>[],
  from: number,
  to: number,
  baseMs: number,
  sampleMs: number,
): Promise<void> {
  return producer.send(
    TOPICS.samples,
    clones.flatMap((c) =>
      Array.from({ length: to - from + 1 }, (_, i) => {
        const s = c.sample(from + i, baseMs + (from + i + 1) * sampleMs);
        return { key: s.node, value: codecs.sample.encode(s) };
      }),
    ),
  );
}
