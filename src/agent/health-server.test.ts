import assert from 'node:assert/strict';
import { it } from 'node:test';
import { agentMetricsText } from './health-server';

it('metrics: a missing signal and the last drop reason are labelled series, quotes and backslashes escaped', () => {
  const text = agentMetricsText({
    node: 'kvm-1',
    samples: 3,
    lastSampleWallMs: 1_000,
    lastDeliveredMs: null,
    spoolBytes: 10,
    droppedSamples: 2,
    dropReason: 'spool disk refuses writes (ENOSPC) and the memory queue is full',
    spoolQuarantined: 1,
    collectErrors: 4,
    collectorFailures: 0,
    triggersRemovedAtStart: 0,
    missing: [{ signal: 'qmpStats', reason: 'no answer within 1000 ms: "vm\\a"' }],
  });
  assert.match(
    text,
    /spinwise_agent_signal_missing\{node="kvm-1",signal="qmpStats",reason="no answer within 1000 ms: \\"vm\\\\a\\""\} 1\n/,
  );
  assert.match(
    text,
    /spinwise_agent_last_drop_reason\{node="kvm-1",reason="spool disk refuses writes \(ENOSPC\) and the memory queue is full"\} 1\n/,
  );
  assert.match(text, /spinwise_agent_spool_quarantined_total\{node="kvm-1"\} 1\n/);
  assert.match(text, /spinwise_agent_last_send_timestamp_seconds\{node="kvm-1"\} NaN\n/);
});
