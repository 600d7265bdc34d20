import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..', '..');

it('the agent serves /metrics and /healthz: samples, last send, spool, missing signals with their reasons', async () => {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'spinwise.js'),
      'agent',
      '--simulate',
      join(ROOT, 'scenarios', 'paper-four-8vcpu-vms.yaml'),
      '--interval',
      '200ms',
      '--speed',
      '4',
      '--stdout',
      '--node',
      'kvm-health',
      '--metrics-port',
      '0',
      '--metrics-host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await waitFor(
      'the metrics endpoint',
      () => /metrics and \/healthz on 127\.0\.0\.1:\d+/.test(err),
      30_000,
    );
    const base = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(err)![1]}`;
    let text = '';
    await waitFor(
      'three samples',
      async () => {
        text = await (await fetch(`${base}/metrics`)).text();
        return Number(/spinwise_agent_samples_total\{node="kvm-health"\} (\d+)/.exec(text)?.[1] ?? 0) >= 3;
      },
      30_000,
    );
    assert.match(text, /# TYPE spinwise_agent_spool_bytes gauge/);
    assert.match(text, /spinwise_agent_last_send_timestamp_seconds\{node="kvm-health"\} \d+(\.\d+)?\n/);
    // The simulated node gives every signal (its VMs' QMP monitors answer from the model).
    assert.match(text, /# TYPE spinwise_agent_signal_missing gauge\n(?!spinwise_agent_signal_missing\{)/);
    assert.match(text, /spinwise_agent_collector_failures_total\{node="kvm-health"\} 0\n/);
    assert.match(text, /# TYPE spinwise_agent_spool_quarantined_total counter/);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { status: string; samples: number; lastSampleAgeMs: number };
    assert.equal(body.status, 'ok');
    assert.ok(body.lastSampleAgeMs < 5_000);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
