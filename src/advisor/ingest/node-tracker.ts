import type { NodeSample } from '../../telemetry';
import { fnv1a } from '../../sim/core/fnv1a';
import { NodeWindow } from '../domain/node-window';
import { windowSample, type WindowSample } from '../domain/window-sample';
import type { LedgerNode } from './partition-ledger';

/**
 * A sample's life in one replica, per node — synchronous, with no clock, bus or model of its own:
 *
 *   accept ─┬─▶ duplicate   (the same seq again: absorbed by the window)
 *           ├─▶ context     (analysed by a previous owner, per its resume mark: in the window, not new work)
 *           └─▶ fresh       (new work: its seq in `freshSeqs`, its offset held from `heldFromOffset`)
 *   fresh ──close──▶ pending window   (the next epoch's first sample, a seq restart, idle, analyse-now;
 *                                      a close while an unstarted window of the series waits merges into it)
 *   pending ──started──▶ in the models ──published──▶ analysed (seq marks move, `analysedOffset` moves)
 *   pending ──abandoned──▶ gone       (the partition was revoked: its next owner analyses those samples)
 *
 * Every fresh and pending window holds its first offset (`heldFrom`), and the partition ledger
 * commits below all of them: a sample's offset is committed only once the window holding it is
 * published, whatever order windows finish in.
 */
export interface TrackedNode<W> {
  window: NodeWindow;
  partition: number;
  /** The open epoch: the one the newest sample fell in. */
  epoch: number;
  /** The first offset among the samples accepted since the last close (`freshSeqs`). */
  heldFromOffset: bigint | null;
  /** Offset of the newest fresh sample. */
  freshToOffset: bigint;
  /** The seqs new since the last close (their number says whether there is work). */
  freshSeqs: number[];
  /** Samples up to this seq were analysed (by this replica or, per the commit's marks, a previous owner). */
  analysedThroughSeq: number;
  /** Analysed seqs above that mark (holes below them wait for stragglers), with their timestamps. */
  analysedAbove: Map<number, number>;
  /** Bumped when the node's seq restarts (or jumps): analyses of an older series no longer move the marks. */
  series: number;
  /**
   * Offset of the newest sample known analysed: covered by an analysis this replica published, or
   * re-read and found below the previous owner's mark. Past the commit, it makes the ledger write
   * the node's mark.
   */
  analysedOffset: bigint;
  lastSampleWallMs: number;
  /** Timestamp of the first sample this replica saw of the node. */
  firstSampleMs: number;
  /** Closed windows on their way to analysis and publication, oldest first; they hold the commit. */
  pending: ClosedWindow<W>[];
}

/** A window taken at its close: what to analyse (`detail`), and the samples it newly covers. */
export interface ClosedWindow<W> {
  detail: W;
  partition: number;
  samples: WindowSample[];
  /** Its model work began: a window closing meanwhile is queued after it, not merged into it. */
  started: boolean;
  freshToOffset: bigint;
  heldFromOffset: bigint | null;
  closedAtWallMs: number;
  freshSeqs: number[];
  /** The fresh seqs' timestamps (a merged window's older ones may have left the samples). */
  freshAtMs: Map<number, number>;
  series: number;
}

/** One close: the window (new, or the waiting one it merged into) and the node's gap count then. */
export interface Close<W> {
  window: ClosedWindow<W>;
  merged: boolean;
  gaps: number;
}

export interface Accepted<W> {
  outcome: 'duplicate' | 'context' | 'fresh';
  /** The node's seq restarted or jumped: a new series began with this sample. */
  restarted: boolean;
  /** Windows this sample closed (before it entered the window). */
  closes: Close<W>[];
}

export interface TrackerOptions {
  windowMs: number;
  epochMs: number;
  /** Each node's epochs start at an offset of their own within the interval (from its name). */
  spreadEpochs: boolean;
  /** A seq this far from the node's newest starts a new series. */
  maxSeqJump: number;
}

/**
 * Every node this replica tracks. `describe` says what a closing window is about (the advisor:
 * the node's inventory and what the window showed); `null` keeps the samples fresh, and held,
 * until it can (no inventory yet).
 */
export class NodeTracker<W> {
  private readonly nodes = new Map<string, TrackedNode<W>>();

  constructor(
    private readonly options: TrackerOptions,
    private readonly describe: (node: string, samples: readonly WindowSample[]) => W | null,
  ) {}

  /** The epoch a sample covers: by the middle of its interval, so one ending on a boundary counts before it. */
  private epochOf(sample: NodeSample): number {
    const { epochMs } = this.options;
    const phase = this.options.spreadEpochs ? fnv1a(sample.node) % epochMs : 0;
    return Math.floor((sample.timestampMs - sample.intervalMs / 2 - phase) / epochMs);
  }

  has(node: string): boolean {
    return this.nodes.has(node);
  }

  get(node: string): Readonly<TrackedNode<W>> | undefined {
    return this.nodes.get(node);
  }

  entries(): IterableIterator<[string, Readonly<TrackedNode<W>>]> {
    return this.nodes.entries();
  }

  /**
   * Takes a handled sample in. A node seen for the first time starts from `resumeSeq`, the
   * previous owner's mark (-1 without one).
   */
  accept(sample: NodeSample, partition: number, offset: bigint, nowMs: number, resumeSeq = -1): Accepted<W> {
    const node = sample.node;
    let s = this.nodes.get(node);
    if (!s) {
      s = {
        window: new NodeWindow(node, this.options.windowMs),
        partition,
        epoch: this.epochOf(sample),
        heldFromOffset: null,
        freshToOffset: -1n,
        freshSeqs: [],
        analysedThroughSeq: resumeSeq,
        analysedAbove: new Map(),
        series: 0,
        analysedOffset: -1n,
        lastSampleWallMs: nowMs,
        firstSampleMs: sample.timestampMs,
        pending: [],
      };
      this.nodes.set(node, s);
    }
    const closes: Close<W>[] = [];
    const closeOpen = () => {
      const c = this.close(node, nowMs);
      if (c) closes.push(c);
    };
    let restarted = false;
    const newest = s.window.newestSeq();
    if (newest >= 0 && Math.abs(sample.seq - newest) > this.options.maxSeqJump) {
      // An agent that lost its state numbers from 0 again; a forged seq jumps far ahead. Either
      // way a new series: what is fresh is analysed, and no mark of the old series hides the new.
      closeOpen();
      s.window = new NodeWindow(node, this.options.windowMs);
      s.series++;
      s.analysedThroughSeq = -1;
      s.analysedAbove.clear();
      s.epoch = this.epochOf(sample);
      restarted = true;
    }
    const epoch = this.epochOf(sample);
    // The first sample of a later epoch closes the open one, before it enters the window.
    if (epoch > s.epoch) closeOpen();
    s.epoch = Math.max(s.epoch, epoch);
    s.lastSampleWallMs = nowMs;
    if (s.window.add(windowSample(sample)) !== 'accepted') return { outcome: 'duplicate', restarted, closes };
    if (sample.seq <= s.analysedThroughSeq || s.analysedAbove.has(sample.seq)) {
      if (offset > s.analysedOffset) s.analysedOffset = offset;
      return { outcome: 'context', restarted, closes };
    }
    s.freshSeqs.push(sample.seq);
    s.heldFromOffset ??= offset;
    if (offset > s.freshToOffset) s.freshToOffset = offset;
    return { outcome: 'fresh', restarted, closes };
  }

  /**
   * Closes the node's window, if it has fresh samples and can be described: a new pending window,
   * or — when one of the same series waits for the models and has not started — merged into it, so
   * the node's next prediction covers both (each sample still new in exactly one analysis) and its
   * queue stays one window however far behind the models are.
   */
  close(node: string, nowMs: number): Close<W> | null {
    const s = this.nodes.get(node);
    if (!s || s.freshSeqs.length === 0) return null;
    const samples = [...s.window.contents()];
    const detail = this.describe(node, samples);
    if (detail === null) return null;
    const fresh = new Set(s.freshSeqs);
    const freshAtMs = new Map(samples.filter((x) => fresh.has(x.seq)).map((x) => [x.seq, x.timestampMs]));
    const waiting = s.pending.find((w) => !w.started && w.series === s.series);
    let window: ClosedWindow<W>;
    if (waiting) {
      window = waiting;
      window.samples = samples;
      window.detail = detail;
      window.freshSeqs = [...window.freshSeqs, ...s.freshSeqs];
      for (const [seq, atMs] of freshAtMs) window.freshAtMs.set(seq, atMs);
      window.freshToOffset = s.freshToOffset;
      window.closedAtWallMs = nowMs;
    } else {
      window = {
        detail,
        partition: s.partition,
        samples,
        started: false,
        freshToOffset: s.freshToOffset,
        heldFromOffset: s.heldFromOffset,
        closedAtWallMs: nowMs,
        freshSeqs: s.freshSeqs,
        freshAtMs,
        series: s.series,
      };
      s.pending.push(window);
    }
    s.freshSeqs = [];
    s.heldFromOffset = null;
    s.freshToOffset = -1n;
    return { window, merged: waiting !== undefined, gaps: s.window.gaps };
  }

  /** Whether the window still waits in the node's queue (not published, abandoned or forgotten). */
  isPending(node: string, window: ClosedWindow<W>): boolean {
    return this.nodes.get(node)?.pending.includes(window) ?? false;
  }

  /**
   * The window's analysis is published: its samples are analysed (their seqs marked, if of the
   * current series) and need not be delivered again. False if the window is no longer pending.
   */
  published(node: string, window: ClosedWindow<W>): boolean {
    const s = this.nodes.get(node);
    if (!s || !this.drop(s, window)) return false;
    if (window.series === s.series) this.markAnalysed(s, window.freshAtMs);
    if (window.freshToOffset > s.analysedOffset) s.analysedOffset = window.freshToOffset;
    return true;
  }

  /** The window leaves unpublished (its partition was revoked): its samples are the next owner's. */
  abandoned(node: string, window: ClosedWindow<W>): void {
    const s = this.nodes.get(node);
    if (s) this.drop(s, window);
  }

  private drop(s: TrackedNode<W>, window: ClosedWindow<W>): boolean {
    const at = s.pending.indexOf(window);
    if (at < 0) return false;
    s.pending.splice(at, 1);
    return true;
  }

  /**
   * Records seqs as analysed, and only those: a straggler below the newest analysed seq, never
   * seen before, is still new work. The contiguous mark passes a hole only once the sample above
   * it is too old for the window: the hole's own sample, older still, would be refused as late.
   */
  private markAnalysed(s: TrackedNode<W>, freshAtMs: ReadonlyMap<number, number>): void {
    for (const [seq, atMs] of freshAtMs) if (seq > s.analysedThroughSeq) s.analysedAbove.set(seq, atMs);
    while (s.analysedAbove.size > 0) {
      const next = s.analysedThroughSeq + 1;
      if (s.analysedAbove.has(next)) {
        s.analysedAbove.delete(next);
        s.analysedThroughSeq = next;
        continue;
      }
      const lowest = Math.min(...s.analysedAbove.keys());
      if (!s.window.isLate(s.analysedAbove.get(lowest)!)) break;
      s.analysedAbove.delete(lowest);
      s.analysedThroughSeq = lowest;
    }
  }

  forget(node: string): void {
    this.nodes.delete(node);
  }

  /** Nodes with fresh samples and none handled for `idleMs`: their open window is due. */
  idle(nowMs: number, idleMs: number): string[] {
    return this.select((s) => s.freshSeqs.length > 0 && nowMs - s.lastSampleWallMs > idleMs);
  }

  /** Nodes silent for `evictMs` with nothing left to analyse. */
  evictable(nowMs: number, evictMs: number): string[] {
    return this.select(
      (s) => s.freshSeqs.length === 0 && s.pending.length === 0 && nowMs - s.lastSampleWallMs > evictMs,
    );
  }

  /** Nodes of partitions no longer owned, with no window of theirs still in the models. */
  revoked(owned: ReadonlySet<number>): string[] {
    return this.select((s) => !owned.has(s.partition) && s.pending.length === 0);
  }

  private select(test: (s: TrackedNode<W>) => boolean): string[] {
    const out: string[] = [];
    for (const [node, s] of this.nodes) if (test(s)) out.push(node);
    return out;
  }

  /** What the partition ledger needs of each node. */
  ledgerNodes(): LedgerNode[] {
    return [...this.nodes].map(([node, s]) => ({
      node,
      partition: s.partition,
      heldFrom: [s.heldFromOffset, ...s.pending.map((w) => w.heldFromOffset)],
      analysedOffset: s.analysedOffset,
      analysedThroughSeq: s.analysedThroughSeq,
    }));
  }

  /** Windows waiting for the models or being modelled. */
  get pendingWindows(): number {
    let n = 0;
    for (const s of this.nodes.values()) n += s.pending.length;
    return n;
  }
}
