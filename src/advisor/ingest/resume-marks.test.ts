import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMarks, encodeMarks, nodeKey } from './resume-marks';

describe('resume marks', () => {
  it('round-trip every node’s seq, in a commit’s metadata budget', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,60}[a-z0-9]$/), { maxLength: 300 }),
        fc.nat({ max: 2 ** 40 }),
        (nodes, base) => {
          const marks = nodes.map((node, i) => ({ node, seq: base + i }));
          const { metadata, dropped } = encodeMarks(marks.map((m) => ({ key: nodeKey(m.node), seq: m.seq })));
          assert.ok(metadata.length <= 3_900);
          const decoded = decodeMarks(metadata);
          const kept = marks.slice(0, marks.length - dropped);
          assert.equal(decoded.size, kept.length);
          for (const m of kept) assert.equal(decoded.get(nodeKey(m.node)), m.seq);
        },
      ),
    );
    assert.ok(
      encodeMarks(Array.from({ length: 180 }, (_, i) => ({ key: nodeKey(`kv-node-${i}`), seq: 8_640 * 30 })))
        .dropped === 0,
      '180 nodes fit',
    );
  });

  it('keys are 72 bits of SHA-256: no collision among a million node names', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) seen.add(nodeKey(`node-${i}`));
    assert.equal(seen.size, 1_000_000);
  });

  it('refuse a key that appears twice, and anything malformed, so those samples are analysed again', () => {
    const a = nodeKey('victim');
    const b = nodeKey('other');
    assert.deepEqual([...decodeMarks(`${a}:10,${b}:5,${a}:zz`)], [[b, 5]]);
    assert.deepEqual([...decodeMarks(`${a}:10,${a}:10,${a}:10`)], []);
    assert.deepEqual([...decodeMarks(`short:1,${b}:-1,${b}:1:2,,:,${a}`)], []);
    assert.deepEqual([...decodeMarks(null)], []);
  });
});
