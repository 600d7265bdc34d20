import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { storeContract } from './store-contract';

storeContract('embedded', (database) => new EmbeddedStore({ database, retentionMs: 3_600_000 }));

it('drops points past their retention, so memory stays bounded on a long run', async () => {
  let now = 10 * 3_600_000;
  const store = new EmbeddedStore({ database: 'spinwise', retentionMs: 3_600_000 }, () => now);
  const point = (t: number) => ({
    measurement: 'vcpu',
    tags: { node: 'n' },
    fields: { v: 1 },
    timestampMs: t,
  });
  for (let i = 0; i < 100; i++) await store.write([point(now - 60_000)]);
  assert.equal(store.size, 100);
  now += 2 * 3_600_000; // every point written so far is now two hours old
  for (let i = 0; i < 64; i++) await store.write([point(now - 1_000)]);
  assert.equal(store.size, 64, 'the old points were swept; the recent ones stay');
  const [series] = await store.query({
    measurement: 'vcpu',
    field: 'v',
    aggregate: 'count',
    fromMs: 0,
    toMs: now,
    bucketMs: 24 * 3_600_000,
  });
  assert.equal(
    series?.buckets.reduce((a, b) => a + b.value, 0),
    64,
  );
});
