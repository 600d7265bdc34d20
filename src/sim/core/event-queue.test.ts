import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { EventQueue } from './event-queue';

it('pops events in time order, equal times in push order, across growth', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { maxLength: 3000 }), (times) => {
      const q = new EventQueue(4);
      times.forEach((t, i) => q.push(t, i % 7, i, 0));
      const popped: [number, number][] = [];
      while (q.pop()) popped.push([q.time, q.target]);
      const expected = times
        .map((t, i) => [t, i] as [number, number])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      assert.deepEqual(popped, expected);
    }),
    { numRuns: 100 },
  );
});
