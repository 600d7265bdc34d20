import type { BusConsumer } from '../../adapters/bus/message-bus';
import { GroupSend } from '../../lib/group-send';
import { commitPositions, type LedgerNode } from './partition-ledger';
import { decodeMarks } from './resume-marks';

export interface CommitterPort {
  /** The samples consumer (its commits and the previous owner's commit metadata). */
  consumer: () => BusConsumer;
  /** What holds the commit now: every node's held windows and marks, every parked message. */
  held: () => { nodes: readonly LedgerNode[]; parked: readonly { partition: number; offset: bigint }[] };
  /** Makes the refusals among the messages below the new positions durable first (dead letters). */
  beforeCommit: () => Promise<void>;
  /** Resume marks that did not fit a commit's metadata. */
  marksDropped: (count: number) => void;
  warn: (message: string) => void;
}

/**
 * Held commits over the partition ledger: per owned partition, what was handled and committed,
 * and the previous owner's resume marks, read once per ownership. Commit requests that arrive
 * while one is in flight share the next, which computes its positions when its turn comes — so
 * an older watermark never lands after a newer one.
 */
export class OffsetCommitter {
  /** Per samples partition: the next offset after what was handled, and what was committed. */
  private readonly handledNext = new Map<number, bigint>();
  private readonly committed = new Map<number, { offset: bigint; metadata: string }>();
  private readonly resumeMarks = new Map<number, Promise<Map<string, number>>>();
  private readonly commits = new GroupSend<null>(() => this.commitNow());
  /** Since when commits fail (null while they succeed). */
  failingSinceWallMs: number | null = null;

  constructor(
    private readonly topic: string,
    private readonly port: CommitterPort,
  ) {}

  /** The message at `offset` is handled: admitted, parked, refused or a duplicate. */
  handled(partition: number, offset: bigint): void {
    this.handledNext.set(partition, offset + 1n);
  }

  /** The previous owner's resume marks of a partition (node key → seq), fetched once per ownership. */
  marksOf(partition: number): Promise<Map<string, number>> {
    let marks = this.resumeMarks.get(partition);
    if (!marks) {
      marks = this.port
        .consumer()
        .committedMetadata(this.topic)
        .then(
          (all) => decodeMarks(all.get(partition) ?? null),
          (err: Error) => {
            this.port.warn(`advisor: no resume marks for partition ${partition}: ${err.message}`);
            return new Map<string, number>();
          },
        );
      this.resumeMarks.set(partition, marks);
    }
    return marks;
  }

  /** Forgets partitions no longer owned: never committed again, their marks read anew if they return. */
  keepOnly(owned: ReadonlySet<number>): void {
    for (const p of [...this.handledNext.keys()])
      if (!owned.has(p)) {
        this.handledNext.delete(p);
        this.committed.delete(p);
        this.resumeMarks.delete(p);
      }
  }

  /** Commits each owned partition up to the oldest offset still held (or all handled). */
  commit(): Promise<void> {
    return this.commits.add(null).then(
      () => void (this.failingSinceWallMs = null),
      (err: Error) => {
        this.failingSinceWallMs ??= Date.now();
        throw err;
      },
    );
  }

  private async commitNow(): Promise<void> {
    // The previous owner's marks are carried forward (see commitPositions): read before the first commit.
    const inherited = new Map<number, Map<string, number>>();
    for (const p of [...this.handledNext.keys()]) inherited.set(p, await this.marksOf(p));
    const { positions, marksDropped } = commitPositions(this.topic, {
      handledNext: this.handledNext,
      ...this.port.held(),
      committed: this.committed,
      inherited,
    });
    this.port.marksDropped(marksDropped);
    if (positions.length === 0) return;
    await this.port.beforeCommit();
    await this.port.consumer().commit(positions);
    // Only now: a failed commit is tried again even if the watermark does not move.
    for (const p of positions)
      this.committed.set(p.partition, { offset: BigInt(p.offset), metadata: p.metadata ?? '' });
  }
}
