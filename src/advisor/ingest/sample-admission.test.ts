import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusMessage } from '../../adapters/bus/message-bus';
import type { NodeSample } from '../../telemetry';
import { MAX_ORPHAN_SAMPLES, SampleAdmission } from './sample-admission';

const NOW = Date.UTC(2026, 11, 6, 12);
const limits = { maxSampleAgeMs: 86_400_000, maxClockSkewMs: 120_000, maxNodes: 2 };
// Admission reads only the node and the timestamp of a sample, and the partition and offset of its message.
const sample = (node: string, timestampMs = NOW) => ({ node, timestampMs }) as NodeSample;
const message = (offset: number) => ({ partition: 0, offset: String(offset) }) as BusMessage;

describe('sample admission', () => {
  it('refuses a timestamp older than the retention or ahead of the clock beyond the skew, naming the field', () => {
    const a = new SampleAdmission(limits);
    const old = a.decide(sample('n', NOW - 86_400_001), message(0), NOW, true);
    const ahead = a.decide(sample('n', NOW + 120_001), message(1), NOW, true);
    assert.deepEqual([old.kind, ahead.kind], ['refuse', 'refuse']);
    assert.match(old.kind === 'refuse' ? old.reason : '', /^timestampMs: .*older than the samples retention/);
    assert.match(ahead.kind === 'refuse' ? ahead.reason : '', /ahead of its clock/);
    assert.equal(a.decide(sample('n', NOW + 119_000), message(2), NOW, true).kind, 'admit');
  });

  it('caps the nodes it tracks, waiting ones included; a forgotten node frees its place', () => {
    const a = new SampleAdmission(limits);
    assert.equal(a.decide(sample('a'), message(0), NOW, true).kind, 'admit');
    assert.equal(a.decide(sample('b'), message(1), NOW, false).kind, 'park');
    const c = a.decide(sample('c'), message(2), NOW, true);
    assert.equal(c.kind === 'refuse' && c.cause, 'nodeCap');
    assert.equal(a.decide(sample('a'), message(3), NOW, true).kind, 'admit', 'a known node still comes in');
    a.forget('a');
    assert.equal(a.decide(sample('c'), message(4), NOW, true).kind, 'admit');
  });

  it('parks a node’s samples until its inventory comes, hands them over in order, and queues later ones behind', async () => {
    const a = new SampleAdmission(limits);
    for (let i = 0; i < 3; i++) assert.equal(a.decide(sample('n'), message(i), NOW, false).kind, 'park');
    assert.deepEqual(
      a.parkedOffsets().map((p) => p.offset),
      [0n, 1n, 2n],
    );
    const taken: string[] = [];
    const adopting = a.adopt('n', async (p) => {
      // One arriving meanwhile (the inventory is there now) parks behind the others.
      if (p.message.offset === '0') assert.equal(a.decide(sample('n'), message(3), NOW, true).kind, 'park');
      await new Promise((r) => setImmediate(r));
      taken.push(p.message.offset);
    });
    await adopting;
    assert.deepEqual(taken, ['0', '1', '2', '3']);
    assert.deepEqual(a.parkedOffsets(), [], 'nothing parked holds the commit any more');
    assert.equal(a.decide(sample('n'), message(4), NOW, true).kind, 'admit');
  });

  it('parks at most an hour of samples per node, and gives up on an inventory after the wait', () => {
    const a = new SampleAdmission({ ...limits, maxNodes: 10 });
    for (let i = 0; i < MAX_ORPHAN_SAMPLES; i++) a.decide(sample('n'), message(i), NOW, false);
    const over = a.decide(sample('n'), message(MAX_ORPHAN_SAMPLES), NOW, false);
    assert.equal(over.kind === 'refuse' && over.cause, 'noInventory');
    assert.deepEqual(a.expired(NOW + 60_000, 60_000), [], 'not before the wait is over');
    const [expired] = a.expired(NOW + 60_001, 60_000);
    assert.equal(expired?.node, 'n');
    assert.equal(expired?.items.length, MAX_ORPHAN_SAMPLES);
  });
});
