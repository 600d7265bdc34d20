import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Point } from '../../adapters/store/time-series-store';
import { SeriesCap } from './series-cap';

const point = (vm: string): Point => ({
  measurement: 'vcpu',
  tags: { node: 'n', vm },
  fields: { x: 1 },
  timestampMs: 0,
});
const HOUR = 3_600_000;

it('writes known series always, new ones only below the cap, and forgets series unseen for a day', () => {
  const cap = new SeriesCap(3, 0);
  assert.equal(cap.filter(['a', 'b', 'c', 'd'].map(point), 0).refused, 1, 'the fourth series is refused');
  assert.deepEqual(
    cap.filter(['a', 'd', 'c'].map(point), HOUR).kept.map((p) => p.tags.vm),
    ['a', 'c'],
  );
  // 12 h on: a and c move to the new generation when written again; b stays in the old one.
  assert.equal(cap.filter(['a', 'c', 'd'].map(point), 13 * HOUR).refused, 1, 'b still counts');
  // 24 h on: b has not been written for a day and no longer counts.
  const later = cap.filter(['a', 'c', 'd'].map(point), 25 * HOUR);
  assert.equal(later.refused, 0);
  assert.equal(cap.size, 3);
});
