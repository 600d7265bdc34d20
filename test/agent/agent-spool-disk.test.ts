import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { defaultTopicSpecs } from '../../src/telemetry';
import { samplesOf } from '../support/kafka-samples';
import { testBrokers } from '../support/services';

const ROOT = join(__dirname, '..', '..', '..');
const scenario = join(ROOT, 'scenarios', 'paper-four-8vcpu-vms.yaml');

/** The agent CLI: `intervals` samples of a simulated node into `spoolDir`, towards `brokers`. */
function runAgent(node: string, spoolDir: string, brokers: string, intervals: number) {
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'spinwise.js'),
      'agent',
      '--node',
      node,
      '--simulate',
      scenario,
      '--interval',
      '100ms',
      '--speed',
      'max',
      '--intervals',
      String(intervals),
      '--spool-dir',
      spoolDir,
    ],
    { env: { ...process.env, SPINWISE_KAFKA_BROKERS: brokers }, encoding: 'utf8', timeout: 120_000 },
  );
  return { status: run.status, stderr: run.stderr };
}

const nextSeqOf = (spoolDir: string) =>
  (JSON.parse(readFileSync(join(spoolDir, 'state.json'), 'utf8')) as { nextSeq: number }).nextSeq;

describe('the agent’s spool on its own disk', () => {
  it('a full disk, restarts on it, then a corrupted state: the agent runs on, the sequence never repeats, the broker gets what the disk held', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'spinwise-tinyspool-'));
    // A disk that fills after a few samples (the paper node's are about 6 kB each).
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', spoolDir], {
      encoding: 'utf8',
    });
    assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
    const node = `tinydisk-${randomUUID().slice(0, 8)}`;
    try {
      // Nothing listens on port 1: the broker is away, so everything waits in the spool.
      const first = runAgent(node, spoolDir, '127.0.0.1:1', 20);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stderr, /spool disk refuses writes \(ENOSPC\): messages wait in memory/);
      assert.equal(nextSeqOf(spoolDir), 20, 'the sequence number is written in place on the full disk');

      const again = runAgent(node, spoolDir, '127.0.0.1:1', 5);
      assert.equal(again.status, 0, `a restart on a full disk runs: ${again.stderr}`);
      assert.equal(nextSeqOf(spoolDir), 25);

      const bus = new KafkaBus({ brokers: [testBrokers()] });
      try {
        // The topics, as `spinwise kafka-setup` makes them: on a fresh broker this file may run first.
        await bus.ensureTopics(defaultTopicSpecs());
        const drained = runAgent(node, spoolDir, testBrokers(), 2);
        assert.equal(drained.status, 0, drained.stderr);
        const got = await samplesOf(bus, node, 3);
        const seqs = got.map((s) => s.seq);
        assert.deepEqual(
          seqs,
          [...new Set(seqs)].sort((a, b) => a - b),
          `unique and in order: ${seqs}`,
        );
        assert.equal(seqs[0], 0, 'the first samples, held on the disk while the broker was away');
        assert.deepEqual(seqs.slice(-2), [25, 26], 'then the new run’s, numbered on');

        // A state file that does not parse (a disk error, a hand edit): quarantined, not a crash loop.
        writeFileSync(join(spoolDir, 'state.json'), '{"head": 4');
        const fresh = runAgent(node, spoolDir, testBrokers(), 2);
        assert.equal(fresh.status, 0, fresh.stderr);
        assert.match(fresh.stderr, /spool quarantined \(its state file does not parse\)/);
        const after = await samplesOf(bus, node, got.length + 2);
        const newSeqs = after.map((s) => s.seq).slice(got.length);
        assert.ok(
          newSeqs.every((s) => s > 26 && s >= Math.floor(Date.now() / 1000) - 600),
          `above everything sent before (the advisor drops a seq it has seen): ${newSeqs}`,
        );
      } finally {
        await bus.close();
      }
    } finally {
      spawnSync('umount', [spoolDir]);
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
