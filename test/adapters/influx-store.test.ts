import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { withInfluxDown } from '../../deploy/dev/services';
import { InfluxStore } from '../../src/adapters/store/influx-store';
import { servicesStateFile, testInfluxUrl } from '../support/services';
import { storeContract } from './store-contract';

storeContract(
  'influxdb (real server)',
  (database) => new InfluxStore({ url: testInfluxUrl(), database, retentionMs: 3_600_000 }),
);

it('fails a write to a stopped InfluxDB with an error naming the URL, and keeps what it had accepted', async () => {
  const url = testInfluxUrl();
  const store = new InfluxStore({
    url,
    database: `down_${randomUUID().replace(/-/g, '')}`,
    retentionMs: 3_600_000,
  });
  await store.open();
  const at = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const point = (i: number) => ({
    measurement: 'vcpu',
    tags: { node: 'n' },
    fields: { pleExits: i },
    timestampMs: at + i,
  });
  await store.write([point(1), point(2), point(3)]);

  await withInfluxDown(servicesStateFile(), async () => {
    await assert.rejects(store.write([point(4)]), (err: Error) => {
      assert.ok(err.message.includes(`InfluxDB write at ${url}`), err.message);
      return true;
    });
  });

  const [series] = await store.query({
    measurement: 'vcpu',
    field: 'pleExits',
    aggregate: 'sum',
    fromMs: at,
    toMs: at + 1000,
    bucketMs: 1000,
  });
  assert.deepEqual(series!.buckets, [{ startMs: at, value: 6 }]);
});
