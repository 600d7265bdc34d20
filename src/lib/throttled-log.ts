import type { Log } from '../adapters/log/log';
/**
 * A log that says a repeated thing at most once per `everyMs`, with how many times it was held
 * back: an outage of the store or a flood of refused nodes is one line a minute, not thousands.
 */
export function throttledLog(log: Log, everyMs: number): Log {
  let lastMs = -Infinity;
  let held = 0;
  return (line, level) => {
    const nowMs = Date.now();
    if (nowMs - lastMs < everyMs) {
      held++;
      return;
    }
    log(held > 0 ? `${line} (${held} more like it since the last such line)` : line, level);
    lastMs = nowMs;
    held = 0;
  };
}
