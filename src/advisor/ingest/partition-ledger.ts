import type { CommitPosition } from '../../adapters/bus/message-bus';
import { encodeMarks, nodeKey } from './resume-marks';

/** What the ledger needs of a node: its partition, the offsets its unpublished windows hold, how far it was analysed. */
export interface LedgerNode {
  node: string;
  partition: number;
  /** First offset of each window not yet published (the open one and those waiting for the models). */
  heldFrom: readonly (bigint | null)[];
  /** Offset of the newest sample known analysed (by this replica, or per the previous owner's mark). */
  analysedOffset: bigint;
  analysedThroughSeq: number;
}

export interface LedgerState {
  /** Per owned partition, the next offset to handle. */
  handledNext: ReadonlyMap<number, bigint>;
  nodes: readonly LedgerNode[];
  /** Offsets of messages parked (a node's samples waiting for its inventory). */
  parked: readonly { partition: number; offset: bigint }[];
  /** What was committed last, per partition. */
  committed: ReadonlyMap<number, { offset: bigint; metadata: string }>;
  /** Per partition, the marks its previous owner left (node key → seq), as this owner read them. */
  inherited?: ReadonlyMap<number, ReadonlyMap<string, number>>;
}

/**
 * Held commits, in one pure function: per owned partition, the offset its next owner must start
 * from — the lowest of the next offset to handle, every parked message, and the first offset of
 * every window not yet published, whatever order windows finish in — with resume marks for the
 * nodes analysed past it (newest first, as many as fit the commit's metadata). A partition whose
 * position and marks did not change is left out. Partitions not owned (rebalanced away) are
 * never in `handledNext`, so never committed.
 */
export function commitPositions(
  topic: string,
  state: LedgerState,
): { positions: CommitPosition[]; marksDropped: number } {
  const positions: CommitPosition[] = [];
  let marksDropped = 0;
  for (const [partition, next] of state.handledNext) {
    const mine = state.nodes.filter((n) => n.partition === partition);
    let watermark = next;
    for (const p of state.parked) if (p.partition === partition && p.offset < watermark) watermark = p.offset;
    for (const n of mine)
      for (const held of n.heldFrom) if (held !== null && held < watermark) watermark = held;
    // Nodes analysed past the watermark would be re-read by the next owner: say how far, newest first.
    const marks = mine
      .filter((n) => n.analysedOffset >= watermark)
      .sort((a, b) =>
        b.analysedOffset > a.analysedOffset ? 1 : b.analysedOffset < a.analysedOffset ? -1 : 0,
      )
      .map((n) => ({ key: nodeKey(n.node), seq: n.analysedThroughSeq }));
    // The previous owner's marks of nodes this owner has not met since: their analysed samples
    // may lie past the watermark still. Dropping them would make a second handover analyse those
    // again (found by the node tracker's property test). A node this owner tracks speaks for itself.
    const tracked = new Set(mine.map((n) => nodeKey(n.node)));
    for (const [key, seq] of state.inherited?.get(partition) ?? [])
      if (!tracked.has(key)) marks.push({ key, seq });
    const { metadata, dropped } = encodeMarks(marks);
    const last = state.committed.get(partition);
    if (last && last.offset === watermark && last.metadata === metadata) continue;
    marksDropped += dropped;
    positions.push({ topic, partition, offset: watermark.toString(), metadata });
  }
  return { positions, marksDropped };
}
