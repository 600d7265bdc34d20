import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitPositions, type LedgerNode, type LedgerState } from './partition-ledger';
import { decodeMarks, nodeKey } from './resume-marks';

const node = (name: string, partition: number, heldFrom: (bigint | null)[], analysedOffset = -1n, seq = -1) =>
  ({ node: name, partition, heldFrom, analysedOffset, analysedThroughSeq: seq }) satisfies LedgerNode;

const state = (over: Partial<LedgerState>): LedgerState => ({
  handledNext: new Map(),
  nodes: [],
  parked: [],
  committed: new Map(),
  ...over,
});

const offsets = (s: LedgerState) =>
  Object.fromEntries(commitPositions('t', s).positions.map((p) => [p.partition, Number(p.offset)]));

describe('partition ledger: held commits without a bus', () => {
  it('commits what was handled when nothing is held', () => {
    assert.deepEqual(offsets(state({ handledNext: new Map([[0, 10n]]) })), { 0: 10 });
  });

  it('holds a partition at the first offset of a window not yet published', () => {
    const s = state({ handledNext: new Map([[0, 10n]]), nodes: [node('a', 0, [4n])] });
    assert.deepEqual(offsets(s), { 0: 4 });
  });

  it('windows finishing out of order: the watermark moves only when the oldest held one is published', () => {
    const handledNext = new Map([[0, 20n]]);
    // a's window from offset 3 and b's from 8 are both with the models.
    const both = state({ handledNext, nodes: [node('a', 0, [3n]), node('b', 0, [8n])] });
    assert.deepEqual(offsets(both), { 0: 3 });
    // b finishes first: a still holds 3.
    const bDone = state({ handledNext, nodes: [node('a', 0, [3n]), node('b', 0, [null], 12n, 12)] });
    assert.deepEqual(offsets(bDone), { 0: 3 });
    // a finishes too: everything handled is committed.
    const aDone = state({
      handledNext,
      nodes: [node('a', 0, [null], 15n, 15), node('b', 0, [null], 12n, 12)],
    });
    assert.deepEqual(offsets(aDone), { 0: 20 });
  });

  it('a node’s open window and the windows waiting behind it all hold', () => {
    const s = state({ handledNext: new Map([[0, 30n]]), nodes: [node('a', 0, [25n, 11n, 18n])] });
    assert.deepEqual(offsets(s), { 0: 11 });
  });

  it('parked messages (waiting for their inventory) hold their partition; other partitions move on', () => {
    const s = state({
      handledNext: new Map([
        [0, 10n],
        [1, 7n],
      ]),
      parked: [{ partition: 0, offset: 2n }],
    });
    assert.deepEqual(offsets(s), { 0: 2, 1: 7 });
  });

  it('after a rebalance only owned partitions are committed, even with nodes of others still known', () => {
    const s = state({
      handledNext: new Map([[1, 9n]]),
      nodes: [node('gone', 0, [1n]), node('kept', 1, [null])],
    });
    assert.deepEqual(offsets(s), { 1: 9 });
  });

  it('resume marks: nodes analysed past the watermark, newest first, for the next owner', () => {
    const s = state({
      handledNext: new Map([[0, 50n]]),
      nodes: [
        node('held', 0, [20n]),
        node('ahead', 0, [null], 40n, 400),
        node('further', 0, [null], 45n, 450),
        node('behind', 0, [null], 10n, 100),
      ],
    });
    const [p] = commitPositions('t', s).positions;
    assert.equal(p!.offset, '20');
    const marks = decodeMarks(p!.metadata ?? null);
    assert.equal(marks.get(nodeKey('ahead')), 400);
    assert.equal(marks.get(nodeKey('further')), 450);
    assert.equal(marks.has(nodeKey('behind')), false, 'analysed below the watermark: nothing to say');
  });

  it('leaves out a partition whose position and marks did not change, so a failed commit is retried only while it differs', () => {
    const s = state({ handledNext: new Map([[0, 10n]]) });
    const [p] = commitPositions('t', s).positions;
    const same = state({ ...s, committed: new Map([[0, { offset: 10n, metadata: p!.metadata ?? '' }]]) });
    assert.deepEqual(commitPositions('t', same).positions, []);
    const moved = state({ ...same, handledNext: new Map([[0, 11n]]) });
    assert.deepEqual(offsets(moved), { 0: 11 });
  });
});
