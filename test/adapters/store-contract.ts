import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Point, TimeSeriesStore } from '../../src/adapters/store/time-series-store';

const HOUR = 3_600_000;

/** One behaviour contract for every TimeSeriesStore implementation. */
export function storeContract(label: string, makeStore: (database: string) => TimeSeriesStore): void {
  describe(`time-series store contract: ${label}`, () => {
    const fresh = async () => {
      const store = makeStore(`contract_${randomUUID().replace(/-/g, '')}`);
      await store.open();
      return store;
    };
    // 60 one-second points per node in the recent past, starting on a 10 s boundary.
    const base = Math.floor((Date.now() - 600_000) / 10_000) * 10_000;
    const points: Point[] = ['a', 'b'].flatMap((node, n) =>
      Array.from({ length: 60 }, (_, i) => ({
        measurement: 'vcpu',
        tags: { node: `node-${node}`, vm: i % 2 === 0 ? 'even' : 'odd' },
        fields: { pleExits: (n + 1) * i, spinShare: 0.5 },
        timestampMs: base + i * 1000,
      })),
    );

    it('answers GROUP BY time() with the right aggregates per bucket and tag', async () => {
      const store = await fresh();
      assert.deepEqual(await store.write(points), { written: 120, droppedBeyondRetention: 0 });
      const query = {
        measurement: 'vcpu',
        field: 'pleExits',
        fromMs: base,
        toMs: base + 60_000,
        bucketMs: 10_000,
      };
      const mean = await store.query({ ...query, aggregate: 'mean', groupBy: ['node'] });
      assert.deepEqual(
        mean.map((s) => s.tags),
        [{ node: 'node-a' }, { node: 'node-b' }],
      );
      // Bucket k holds i = 10k … 10k+9: node-a's values are i, node-b's 2i.
      const buckets = (f: (k: number) => number) =>
        Array.from({ length: 6 }, (_, k) => ({ startMs: base + k * 10_000, value: f(k) }));
      assert.deepEqual(
        mean[0]!.buckets,
        buckets((k) => 10 * k + 4.5),
      );
      assert.deepEqual(
        mean[1]!.buckets,
        buckets((k) => 2 * (10 * k + 4.5)),
      );

      const [sumA] = await store.query({ ...query, aggregate: 'sum', where: { node: 'node-a' } });
      assert.deepEqual(
        sumA!.buckets,
        buckets((k) => 100 * k + 45),
      );
      const [maxB] = await store.query({ ...query, aggregate: 'max', where: { node: 'node-b' } });
      assert.deepEqual(
        maxB!.buckets,
        buckets((k) => 2 * (10 * k + 9)),
      );
      const [minAll] = await store.query({ ...query, aggregate: 'min' });
      assert.deepEqual(
        minAll!.buckets,
        buckets((k) => 10 * k),
      );
      const [lastA] = await store.query({ ...query, aggregate: 'last', where: { node: 'node-a' } });
      assert.deepEqual(
        lastA!.buckets,
        buckets((k) => 10 * k + 9),
      );
      const counts = await store.query({ ...query, aggregate: 'count', groupBy: ['node', 'vm'] });
      assert.equal(counts.length, 4);
      for (const s of counts)
        assert.deepEqual(
          s.buckets,
          buckets(() => 5),
        );
    });

    it('drops points older than the retention period and says how many', async () => {
      const store = await fresh();
      const now = Date.now();
      const result = await store.write([
        { measurement: 'vcpu', tags: { node: 'n' }, fields: { pleExits: 1 }, timestampMs: now - 2 * HOUR },
        { measurement: 'vcpu', tags: { node: 'n' }, fields: { pleExits: 7 }, timestampMs: now - 1000 },
      ]);
      assert.deepEqual(result, { written: 1, droppedBeyondRetention: 1 });
      const [series] = await store.query({
        measurement: 'vcpu',
        field: 'pleExits',
        aggregate: 'sum',
        fromMs: now - 3 * HOUR,
        toMs: now + 1000,
        bucketMs: HOUR,
      });
      assert.equal(
        series!.buckets.reduce((a, b) => a + b.value, 0),
        7,
      );
    });

    it('returns no series for an empty range and refuses unsafe names', async () => {
      const store = await fresh();
      await store.write(points);
      const q = { measurement: 'vcpu', field: 'pleExits', aggregate: 'mean' as const, bucketMs: 1000 };
      assert.deepEqual(await store.query({ ...q, fromMs: base - 10_000, toMs: base }), []);
      await assert.rejects(
        store.query({ ...q, measurement: 'vcpu"; DROP', fromMs: 0, toMs: 1 }),
        /not a valid name/,
      );
    });
  });
}
