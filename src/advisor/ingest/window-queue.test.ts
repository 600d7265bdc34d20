import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowQueue } from './window-queue';

const tick = () => new Promise((r) => setImmediate(r));

describe('window queue', () => {
  it('runs a node’s analyses one after another, in order', async () => {
    const q = new WindowQueue(() => assert.fail('no failure expected'));
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`${name} begins`);
      await tick();
      log.push(`${name} ends`);
    };
    q.enqueue('n', job('first'), () => true);
    q.enqueue('n', job('second'), () => true);
    await q.settled('n');
    assert.deepEqual(log, ['first begins', 'first ends', 'second begins', 'second ends']);
  });

  it('retries a failed analysis behind later ones while it is still wanted, and not once it is not', async () => {
    const failures: string[] = [];
    const q = new WindowQueue((node, err) => failures.push(`${node}: ${err.message}`), 10);
    let tries = 0;
    const log: string[] = [];
    q.enqueue(
      'n',
      async () => {
        tries++;
        if (tries < 3) throw new Error(`broker away (${tries})`);
        log.push('published');
      },
      () => true,
    );
    q.enqueue(
      'n',
      async () => void log.push('newer'),
      () => true,
    );
    while (tries < 3) await new Promise((r) => setTimeout(r, 5));
    await q.settled('n');
    assert.deepEqual(log, ['newer', 'published'], 'the newer window does not wait for the retried one');
    assert.deepEqual(failures, ['n: broker away (1)', 'n: broker away (2)']);

    let runs = 0;
    q.enqueue(
      'm',
      async () => {
        runs++;
        throw new Error('gone');
      },
      () => false,
    );
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(runs, 1, 'a window no longer wanted (its partition revoked) is not retried');
    assert.equal(failures.length, 3, 'its failure is reported');
  });
});
