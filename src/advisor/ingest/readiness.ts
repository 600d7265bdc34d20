import type { ConsumerHealth } from '../../adapters/bus/message-bus';
import type { PointBuffer } from '../store/point-buffer';

/** A type, not an interface: callers walk it with `Object.entries`. */
export type ReadinessByPart = {
  advisor: string[];
  kafka: string[];
  store: string[];
};

/**
 * How each part is, with what is wrong (an empty list is a healthy part): the advisor started
 * (the consumer's health `h` is null otherwise); Kafka (in the consumer group and fetching, and
 * committing: `failingSince`); the store keeping up (failing writes are buffered; failing with
 * the buffer full is not keeping up). Liveness (/healthz) is separate and only says the process
 * runs.
 */
export function readinessByPart(
  h: ConsumerHealth | null,
  failingSince: number | null,
  points: PointBuffer,
  nowMs: number,
): ReadinessByPart {
  if (!h) return { advisor: ['not started (or stopping)'], kafka: [], store: [] };
  const kafka: string[] = [];
  if (h.crashed) kafka.push(`the Kafka consumer crashed (being replaced): ${h.crashed}`);
  else if (!h.member) kafka.push('not a member of the consumer group (joining or rebalancing)');
  if (h.lastFetchWallMs === null || nowMs - h.lastFetchWallMs > 30_000)
    kafka.push(
      `no fetch from the broker for ${h.lastFetchWallMs === null ? 'ever' : `${Math.round((nowMs - h.lastFetchWallMs) / 1000)} s`}`,
    );
  if (failingSince !== null && nowMs - failingSince > 30_000)
    kafka.push(`offset commits failing for ${Math.round((nowMs - failingSince) / 1000)} s`);
  const store: string[] = [];
  const since = points.failingSinceWallMs;
  if (since !== null && points.full)
    store.push(
      `the store has failed for ${Math.round((nowMs - since) / 1000)} s and its buffer is full (${points.dropped} points dropped)`,
    );
  return { advisor: [], kafka, store };
}
