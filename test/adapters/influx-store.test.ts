import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { it } from 'node:test';
import { startInflux, stopInflux } from '../../deploy/dev/influxdb';
import { withInfluxDown } from '../../deploy/dev/services';
import { InfluxStore } from '../../src/adapters/store/influx-store';
import { servicesStateFile, testInfluxUrl } from '../support/services';
import { storeContract } from './store-contract';

/** The one-second bucket of PLE exits stored at `at`. */
async function pleExitsAt(store: InfluxStore, at: number) {
  const [series] = await store.query({
    measurement: 'vcpu',
    field: 'pleExits',
    aggregate: 'sum',
    fromMs: at,
    toMs: at + 1000,
    bucketMs: 1000,
  });
  return series?.buckets;
}

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

  assert.deepEqual(await pleExitsAt(store, at), [{ startMs: at, value: 6 }]);
});

it('opens a database that exists as a user without admin rights, and never asks to create it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-influx-auth-'));
  const influx = await startInflux(dir, { auth: true });
  const url = `http://127.0.0.1:${influx.port}`;
  const admin = new InfluxDB({
    host: '127.0.0.1',
    port: influx.port,
    database: 'fleet',
    username: 'root',
    password: 'root-pw',
  });
  try {
    // With auth on and no user yet, InfluxDB lets exactly one thing through: creating the admin.
    await new InfluxDB({ host: '127.0.0.1', port: influx.port }).createUser('root', 'root-pw', true);
    await admin.createDatabase('fleet');
    await admin.createUser('advisor', 'advisor-pw');
    await admin.query('GRANT ALL ON "fleet" TO "advisor"');
    const options = {
      url,
      database: 'fleet',
      retentionMs: 3_600_000,
      username: 'advisor',
      password: 'advisor-pw',
    };
    const store = new InfluxStore(options);
    await store.open();
    const at = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    await store.write([
      { measurement: 'vcpu', tags: { node: 'n' }, fields: { pleExits: 7 }, timestampMs: at },
    ]);
    assert.deepEqual(await pleExitsAt(store, at), [{ startMs: at, value: 7 }]);
    // The same user may not create a database: a store for a missing one says so, naming the server,
    // and a URL with credentials in it is never printed.
    const missing = new InfluxStore({
      ...options,
      url: `http://advisor:advisor-pw@127.0.0.1:${influx.port}`,
      database: 'other',
    });
    await assert.rejects(missing.open(), (err: Error) => {
      assert.match(
        err.message,
        /InfluxDB create database at http:\/\/REDACTED@127\.0\.0\.1:\d+\/ \(database "other"\) failed/,
      );
      assert.doesNotMatch(err.message, /advisor-pw/);
      return true;
    });
  } finally {
    await stopInflux(influx);
    rmSync(dir, { recursive: true, force: true });
  }
});
