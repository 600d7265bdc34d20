import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BusProducer } from '../../adapters/bus/message-bus';
import { DiskSpool } from './disk-spool';
import { SpoolingBusSink } from './spooling-bus-sink';

const msg = (i: number) => ({
  topic: i % 3 === 0 ? 'inv' : 'samples',
  key: 'node-a',
  value: JSON.stringify({ seq: i }),
});
const dir = () => mkdtempSync(join(tmpdir(), 'spinwise-spool-'));

/** A producer that fails while `down` and records what it was sent. */
function producer() {
  const sent: { topic: string; value: string }[] = [];
  const p = {
    down: false,
    sent,
    send: async (topic: string, messages: { value: Buffer }[]) => {
      if (p.down) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      for (const m of messages) sent.push({ topic, value: m.value.toString() });
    },
    close: async () => undefined,
  };
  return p satisfies BusProducer & { down: boolean };
}

describe('disk spool', () => {
  it('survives a restart: what was not acknowledged is there, in order, and the sequence number too', () => {
    const d = dir();
    const a = new DiskSpool(d, 1 << 20);
    a.append([0, 1, 2, 3].map(msg));
    a.nextSeq = 4;
    const { sizes } = a.peek(2);
    a.commit(sizes[0]! + sizes[1]!);
    const b = new DiskSpool(d, 1 << 20);
    assert.equal(b.nextSeq, 4);
    assert.deepEqual(
      b.peek(10).messages.map((m) => JSON.parse(m.value).seq),
      [2, 3],
    );
  });

  it('cuts off a torn last line left by a crash mid-write', () => {
    const d = dir();
    new DiskSpool(d, 1 << 20).append([msg(1)]);
    appendFileSync(join(d, 'spool.jsonl'), '{"topic":"samples","key":"no');
    const s = new DiskSpool(d, 1 << 20);
    assert.deepEqual(
      s.peek(10).messages.map((m) => JSON.parse(m.value).seq),
      [1],
    );
  });

  it('refuses what does not fit its bound and counts it', () => {
    const s = new DiskSpool(dir(), 200);
    const refused = s.append([1, 2, 3, 4, 5, 6].map(msg));
    assert.ok(refused > 0 && refused < 6, `refused ${refused}`);
    assert.equal(s.dropped, refused);
    assert.ok(s.pendingBytes <= 200);
  });

  it('drains in order once the broker is back, one topic run at a time, nothing twice', async () => {
    const p = producer();
    const spool = new DiskSpool(dir(), 1 << 20);
    const errors: string[] = [];
    const sink = new SpoolingBusSink(p, spool, (e) => errors.push(e));
    p.down = true;
    sink.write([0, 1, 2].map(msg));
    await sink.flush();
    sink.write([3, 4].map(msg));
    await sink.flush();
    assert.equal(p.sent.length, 0);
    assert.match(errors[0]!, /broker unreachable, \d+ bytes stay in the spool: connect ECONNREFUSED/);
    p.down = false;
    sink.write([5].map(msg));
    await sink.flush();
    assert.deepEqual(
      p.sent.map((m) => JSON.parse(m.value).seq),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(spool.pendingBytes, 0);
  });
});
