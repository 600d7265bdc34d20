import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DeadLetterBatch } from './dead-letter-batch';
import type { OutgoingMessage } from './message-bus';

const letter = (n: number, bytes = 10): OutgoingMessage => ({ key: `k${n}`, value: Buffer.alloc(bytes, n) });

it('sends a batch’s letters in one request, keeps them on failure and sends them in order later', async () => {
  const requests: string[][] = [];
  let failNext = false;
  const batch = new DeadLetterBatch({
    send: async (_topic, messages) => {
      if (failNext) {
        failNext = false;
        throw new Error('broker away');
      }
      requests.push(messages.map((m) => m.key!));
    },
    close: async () => undefined,
  });
  for (const n of [1, 2, 3]) await batch.add(letter(n));
  assert.equal(requests.length, 0, 'nothing sent before the flush');
  failNext = true;
  await assert.rejects(batch.flush(), /broker away/);
  await batch.add(letter(4));
  await batch.flush();
  await batch.flush(); // nothing left: no empty request
  assert.deepEqual(requests, [['k1', 'k2', 'k3', 'k4']]);
});

it('makes a handler wait for a flush once 512 KiB are queued, so memory stays bounded', async () => {
  let sent = 0;
  const batch = new DeadLetterBatch(
    { send: async () => undefined, close: async () => undefined },
    (n) => (sent += n),
  );
  for (let n = 0; n < 5; n++) await batch.add(letter(n, 128 * 1024));
  assert.equal(sent, 4, 'the fourth 128 KiB letter filled the batch');
});
