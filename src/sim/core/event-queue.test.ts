import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { EventQueue } from './event-queue';

const TARGETS = [5, 3, 1];

/**
 * Pushes (kind, target, time after the last pop, and for a `pushAs` how far after the last pop it
 * is ordered as pushed) and pops (null), in any interleaving: as a model pushes, never before the
 * time of the event it handles.
 */
const operations = fc.array(
  fc.oneof(
    fc.tuple(fc.nat(TARGETS.length - 1), fc.nat(4), fc.nat(50), fc.option(fc.nat(50))),
    fc.constant(null),
  ),
  { maxLength: 400 },
);

it('pops the earliest pending event, equal times in push order (a `pushAs` in the order it was given), a re-pushed (kind, target) only once at its newest time', () => {
  fc.assert(
    fc.property(operations, (ops) => {
      const q = new EventQueue(TARGETS);
      // The reference: every pending (kind, target) with its time and push order, searched linearly.
      const pending = new Map<
        string,
        { kind: number; target: number; time: number; at: number; order: number; gen: number }
      >();
      let order = 0;
      const earlier = (a: { time: number; at: number; order: number }, b: typeof a) =>
        a.time < b.time || (a.time === b.time && (a.at < b.at || (a.at === b.at && a.order < b.order)));
      const popReference = () => {
        let first: (typeof pending extends Map<string, infer V> ? V : never) | null = null;
        for (const e of pending.values()) if (!first || earlier(e, first)) first = e;
        if (first) pending.delete(`${first.kind}/${first.target}`);
        return first;
      };
      for (const op of ops) {
        if (op === null) {
          const expected = popReference();
          assert.equal(q.pop(), expected !== null);
          if (expected)
            assert.deepEqual(
              [q.time, q.kind, q.target, q.gen],
              [expected.time, expected.kind, expected.target, expected.gen],
            );
          continue;
        }
        const [kind, t, after, orderedAfter] = op;
        const time = q.time + after;
        const target = t % TARGETS[kind]!;
        const gen = order;
        const at = q.time + (orderedAfter ?? 0);
        if (orderedAfter === null) q.push(time, kind, target, gen);
        else q.pushAs(time, kind, target, gen, at, q.reserveOrder());
        pending.set(`${kind}/${target}`, { kind, target, time, at, order: order++, gen });
        assert.equal(q.length, pending.size);
      }
      while (pending.size > 0) {
        const expected = popReference()!;
        assert.ok(q.pop());
        assert.deepEqual([q.time, q.kind, q.target], [expected.time, expected.kind, expected.target]);
      }
      assert.equal(q.pop(), false);
    }),
    { numRuns: 300 },
  );
});

it('refuses a target its kind does not have', () => {
  const q = new EventQueue(TARGETS);
  assert.throws(() => q.push(1, 1, 3, 0), /event kind 1 has no target 3/);
  assert.throws(() => q.push(1, 0, -1, 0), /no target -1/);
});
