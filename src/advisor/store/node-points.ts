import type { Log } from '../../adapters/log/log';
import type { Point, TimeSeriesStore } from '../../adapters/store/time-series-store';
import { throttledLog } from '../../lib/throttled-log';
import { PointBuffer } from './point-buffer';
import { SeriesCap } from './series-cap';

/** The counters this part moves (the advisor's metrics). */
export interface NodePointsCounters {
  storeWriteFailures: number;
  pointsRefusedSeriesCap: number;
}

/**
 * What the advisor writes to the store, per node within its series cap, buffered while the store
 * is away (see PointBuffer).
 */
export class NodePoints {
  readonly buffer: PointBuffer;
  private readonly caps = new Map<string, SeriesCap>();
  private readonly capLog: Log;

  constructor(
    store: TimeSeriesStore,
    private readonly maxSeriesPerNode: number,
    private readonly counters: NodePointsCounters,
    log: Log,
  ) {
    const storeLog = throttledLog(log, 30_000);
    this.capLog = throttledLog(log, 60_000);
    this.buffer = new PointBuffer(store, (err) => {
      this.counters.storeWriteFailures++;
      storeLog(`advisor: store write failed (kept for retry): ${err.message}`, 'warn');
    });
  }

  add(node: string, points: Point[], nowMs = Date.now()): void {
    let cap = this.caps.get(node);
    if (!cap) this.caps.set(node, (cap = new SeriesCap(this.maxSeriesPerNode, nowMs)));
    const { kept, refused } = cap.filter(points, nowMs);
    if (refused > 0) {
      this.counters.pointsRefusedSeriesCap += refused;
      this.capLog(
        `advisor: node ${node} reached its cap of ${this.maxSeriesPerNode} store series; points of new series are not written`,
        'warn',
      );
    }
    this.buffer.add(kept);
  }

  forget(node: string): void {
    this.caps.delete(node);
  }

  flush(): Promise<void> {
    return this.buffer.flush();
  }
}
