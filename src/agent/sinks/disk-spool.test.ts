import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    send: async (topic: string, messages: { value: Buffer | null }[]) => {
      if (p.down) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      for (const m of messages) sent.push({ topic, value: String(m.value) });
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
    a.peek(2);
    a.commit(2);
    const b = new DiskSpool(d, 1 << 20);
    assert.equal(b.nextSeq, 4);
    assert.deepEqual(
      b.peek(10).messages.map((m) => JSON.parse(m.value).seq),
      [2, 3],
    );
  });

  it('numbers on above a sample spooled before its seq was saved (killed in between)', () => {
    const d = dir();
    const a = new DiskSpool(d, 1 << 20);
    a.append([1, 2, 3].map((i) => ({ ...msg(i), topic: 'samples' })));
    a.nextSeq = 3; // the kill came after seq 3 was spooled and before nextSeq = 4 was saved
    assert.equal(new DiskSpool(d, 1 << 20).nextSeq, 4);
    a.nextSeq = 9; // above what is spooled (sent and gone): the saved one stands
    assert.equal(new DiskSpool(d, 1 << 20).nextSeq, 9);
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

  it('when full, drops the oldest samples first and keeps the newest inventory; the newest samples always fit', () => {
    const s = new DiskSpool(dir(), 2_000, { keepNewestOf: new Set(['inv']) });
    for (let i = 0; i < 60; i++) s.append([msg(i)]);
    assert.ok(s.pendingBytes <= 2_000, `${s.pendingBytes} bytes pending`);
    const left = s.peek(100).messages.map((m) => [m.topic, JSON.parse(m.value).seq]);
    const samples = left.filter(([t]) => t === 'samples').map(([, seq]) => seq as number);
    assert.deepEqual(
      samples,
      [...samples].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(samples[samples.length - 1], 59, 'the newest sample is there');
    assert.ok(samples[0]! > 1, 'the oldest went');
    assert.ok(
      left.some(([t, seq]) => t === 'inv' && seq === 57),
      'the newest inventory (57) is kept',
    );
    assert.equal(s.dropped, 60 - left.length);
    assert.match(s.dropReason!, /spool full \(2000 bytes\): the oldest samples dropped/);
  });

  it('a message larger than the bound is dropped with its reason, and nothing else', () => {
    const s = new DiskSpool(dir(), 1_000);
    assert.equal(s.append([msg(1), { topic: 'samples', key: 'k', value: 'x'.repeat(2_000) }, msg(2)]), 1);
    assert.deepEqual(
      s.peek(10).messages.map((m) => JSON.parse(m.value).seq),
      [1, 2],
    );
    assert.match(s.dropReason!, /a message of 20\d\d bytes is over the spool's bound/);
  });

  it('drains a line of any size up to its bound (a 6 MiB inventory of 2,000 VMs)', () => {
    const d = dir();
    const big = { topic: 'inv', key: 'node-a', value: JSON.stringify({ vms: 'v'.repeat(6 << 20) }) };
    new DiskSpool(d, 64 << 20).append([msg(1), big, msg(2)]);
    const s = new DiskSpool(d, 64 << 20);
    const { messages } = s.peek(10);
    assert.deepEqual(
      messages.map((m) => m.value.length),
      [msg(1).value.length, big.value.length, msg(2).value.length],
    );
    s.commit(3);
    assert.equal(s.pendingBytes, 0);
  });

  it('a corrupted spool is quarantined (renamed, counted, noticed once) and the sequence never goes back', () => {
    const cases: [string, (d: string) => void][] = [
      ['empty state.json', (d) => writeFileSync(join(d, 'state.json'), '')],
      ['garbage state.json', (d) => writeFileSync(join(d, 'state.json'), '{"head": 12, "nextS')],
      [
        'head inside a line',
        (d) => writeFileSync(join(d, 'state.json'), JSON.stringify({ head: 7, nextSeq: 40 })),
      ],
    ];
    for (const [name, corrupt] of cases) {
      const d = dir();
      const a = new DiskSpool(d, 1 << 20);
      a.append([1, 2, 4].map((i) => ({ ...msg(i), value: JSON.stringify({ seq: i * 10 }) })));
      a.nextSeq = 41;
      corrupt(d);
      const b = new DiskSpool(d, 1 << 20, { now: () => 1_000_000 });
      assert.equal(b.quarantined, 1, name);
      assert.equal(b.pendingBytes, 0, `${name}: a fresh spool`);
      assert.equal(b.nextSeq, 1_000, `${name}: above the old spool's seqs (40) and the clock in seconds`);
      assert.match(
        b.notices[0]!,
        /^spool quarantined \(.+\): renamed \*\.corrupt-1000000; a fresh one starts at seq 1000$/,
        name,
      );
      assert.ok(
        readdirSync(d).some((f) => f === 'spool.jsonl.corrupt-1000000'),
        `${name}: kept for an operator`,
      );
      const c = new DiskSpool(d, 1 << 20);
      assert.equal(c.quarantined, 0, `${name}: the fresh spool opens cleanly`);
      assert.equal(c.nextSeq, 1_000);
    }
  });

  it('a line that does not parse is skipped and counted; the rest drains', () => {
    const d = dir();
    new DiskSpool(d, 1 << 20).append([msg(1)]);
    appendFileSync(join(d, 'spool.jsonl'), 'garbage that is not JSON\n');
    new DiskSpool(d, 1 << 20).append([msg(2)]);
    const s = new DiskSpool(d, 1 << 20);
    const first = s.peek(10);
    assert.deepEqual(
      first.messages.map((m) => JSON.parse(m.value).seq),
      [1],
    );
    s.commit(1);
    assert.deepEqual(
      s.peek(10).messages.map((m) => JSON.parse(m.value).seq),
      [2],
    );
    assert.equal(s.dropped, 1);
    assert.match(s.dropReason!, /does not parse/);
  });

  it('keeps its state in a fixed-size file written in place, and compacts into a new generation', () => {
    const d = dir();
    const s = new DiskSpool(d, 1 << 20);
    s.append([1, 2, 3].map(msg));
    s.nextSeq = 3;
    assert.equal(readFileSync(join(d, 'state.json')).length, 96);
    s.peek(3);
    s.commit(3);
    assert.equal(s.pendingBytes, 0);
    assert.ok(!existsSync(join(d, 'spool.jsonl')), 'the sent file is gone');
    s.append([msg(4)]);
    s.nextSeq = 5;
    const reopened = new DiskSpool(d, 1 << 20);
    assert.deepEqual(
      reopened.peek(5).messages.map((m) => JSON.parse(m.value).seq),
      [4],
    );
    assert.equal(reopened.nextSeq, 5);
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

  it('a message the broker refuses for good is dropped with its reason; the rest goes on, in order', async () => {
    const sent: number[] = [];
    const refusing = {
      send: async (_topic: string, messages: { value: Buffer | null }[]) => {
        if (messages.some((m) => String(m.value).length > 1000))
          throw Object.assign(new Error('The request included a message larger than the max message size'), {
            type: 'MESSAGE_TOO_LARGE',
          });
        for (const m of messages) sent.push(JSON.parse(String(m.value)).seq);
      },
      close: async () => undefined,
    };
    const spool = new DiskSpool(dir(), 1 << 20);
    const errors: string[] = [];
    const sink = new SpoolingBusSink(refusing, spool, (e) => errors.push(e));
    const big = { topic: 'samples', key: 'node-a', value: JSON.stringify({ seq: 2, pad: 'x'.repeat(2000) }) };
    sink.write([msg(1), big, msg(4), msg(5)]);
    await sink.flush();
    assert.deepEqual(sent, [1, 4, 5]);
    assert.equal(spool.pendingBytes, 0);
    assert.equal(spool.dropped, 1);
    assert.match(spool.dropReason!, /the broker refused a message of \d+ bytes \(MESSAGE_TOO_LARGE\)/);
    assert.match(errors.join('\n'), /broker refused a message for good \(MESSAGE_TOO_LARGE\)/);
  });
});
