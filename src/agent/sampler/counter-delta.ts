/**
 * How a cumulative counter may move between two readings of the same thread or VM:
 * - `time`: ns of one thread's life (schedstat run and wait, halt wait and poll time): never
 *   backwards, and never more than the wall time between the readings — one thread cannot run
 *   11 s in 10 s;
 * - `count`: events of one thread or VM for its whole life: never backwards;
 * - `resettable`: a count that someone else may reset (a hist trigger removed and reinstalled):
 *   backwards means it restarted, and the delta counts from the restart.
 */
export type CounterKind = 'time' | 'count' | 'resettable';

export interface CounterChange {
  /** The delta, when both readings are there and it passes its kind's checks. */
  value?: number;
  /** Why there is no delta although there is a current reading (it becomes the new baseline). */
  problem?: string;
  /** A `resettable` counter restarted. */
  restarted?: boolean;
}

/**
 * Slack for a time counter: both readings are taken while a snapshot walks /proc, some ms apart
 * from the instant the snapshot is stamped with.
 */
const TIME_SLACK_NS = 200_000_000;
const TIME_SLACK_RATIO = 1.1;

export function counterDelta(
  kind: CounterKind,
  current: number | undefined,
  before: number | undefined,
  elapsedNs: number,
): CounterChange {
  if (current === undefined) return {};
  if (before === undefined) return { problem: 'restarts from a new baseline (the previous reading failed)' };
  if (current < before) {
    if (kind === 'resettable') return { value: current, restarted: true };
    return { problem: 'went backwards (a malformed reading): new baseline' };
  }
  const delta = current - before;
  if (kind === 'time' && delta > elapsedNs * TIME_SLACK_RATIO + TIME_SLACK_NS)
    return { problem: 'moved more than the interval allows (a malformed reading): new baseline' };
  return { value: delta };
}
