import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TOPICS } from '../../telemetry';
import { NodeReaper } from './node-reaper';

const HOUR = 3_600_000;
const known = [
  { node: 'kvm-1', alertKeys: [] },
  { node: 'kvm-2', alertKeys: ['kvm-2/spin-share', 'kvm-2/ple-rate'] },
];

it('node reaper: a node absent from the cluster for the grace gets tombstones on every compacted topic, its alerts included', () => {
  const reaper = new NodeReaper(24 * HOUR);
  const cluster = new Set(['kvm-1']);
  assert.deepEqual(reaper.due(known, cluster, 0), []);
  assert.deepEqual(reaper.due(known, cluster, 23 * HOUR), []);
  const due = reaper.due(known, cluster, 24 * HOUR);
  assert.deepEqual(
    due.map((d) => [d.node, d.tombstones.map((t) => `${t.topic} ${t.message.key} ${t.message.value}`)]),
    [
      [
        'kvm-2',
        [
          `${TOPICS.inventory} kvm-2 null`,
          `${TOPICS.findings} kvm-2 null`,
          `${TOPICS.analyses} kvm-2 null`,
          `${TOPICS.alerts} kvm-2/spin-share null`,
          `${TOPICS.alerts} kvm-2/ple-rate null`,
        ],
      ],
    ],
  );
  // Still known next round (the tombstones failed, or are not read yet): sent again.
  assert.deepEqual(
    reaper.due(known, cluster, 25 * HOUR).map((d) => d.node),
    ['kvm-2'],
  );
  // Forgotten by the readers: nothing more.
  assert.deepEqual(reaper.due([known[0]!], cluster, 26 * HOUR), []);
});

it('node reaper: nothing while the cluster is unknown; a node back in the cluster starts its grace again', () => {
  const reaper = new NodeReaper(HOUR);
  assert.deepEqual(reaper.due(known, null, 0), []);
  assert.deepEqual(reaper.due(known, null, 10 * HOUR), [], 'no Kubernetes, no forgetting');
  assert.deepEqual(reaper.due(known, new Set(['kvm-1']), 10 * HOUR), []);
  // Back (a reboot, a drain undone) before the grace ends: the clock starts over when it leaves again.
  assert.deepEqual(reaper.due(known, new Set(['kvm-1', 'kvm-2']), 10.5 * HOUR), []);
  assert.deepEqual(reaper.due(known, new Set(['kvm-1']), 11 * HOUR), []);
  assert.deepEqual(
    reaper.due(known, new Set(['kvm-1']), 12 * HOUR).map((d) => d.node),
    ['kvm-2'],
  );
});
