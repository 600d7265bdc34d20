import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SlackAlerter } from '../../src/adapters/slack/slack-alerter';
import type { SpinAlert } from '../../src/adapters/slack/spin-alert-message';
import { webhookPost } from '../../src/adapters/slack/webhook-post';
import { slackReceiver } from '../support/slack-receiver';

const receiver = slackReceiver;

const raised: SpinAlert = {
  node: 'node-3',
  transition: 'raised',
  finding: {
    kind: 'ple-rate',
    vm: 'vm-7',
    severity: 'critical',
    value: 1234,
    threshold: 500,
    message: 'vm-7 takes 1234 PLE exits per vCPU-second',
  },
  vms: ['vm-7'],
  topRecommendation: {
    kind: 'kernel',
    summary: 'run a kernel with the debooster and strict boost',
    target: 'ple-kvm',
    predicted: { pleExits: { change: -0.72, ci95: 0.06 }, usefulNs: { change: 0.31, ci95: 0.05 } },
    confidence: 0.8,
    disruption: 'reboot',
    apply: [
      { on: 'host', how: 'build and boot a kernel with the VEE 2021 patches' },
      { on: 'kubevirt', how: 'drain the node, reboot, uncordon' },
    ],
    brokenAssumptions: [],
    evidence: [],
  },
  dashboardUrl: 'http://spinwise.local/nodes/node-3',
};

it('posts the exact Block Kit messages: raise, repeat suppressed, clear; a failing Slack is retried then given up', async () => {
  const slack = await receiver();
  const log: string[] = [];
  const alerter = new SlackAlerter({
    post: webhookPost(slack.url),
    retries: 2,
    backoffMs: 5,
    log: (l) => log.push(l),
  });
  try {
    alerter.notify(raised);
    assert.equal(slack.bodies.length, 0, 'notify returns before Slack is contacted');
    alerter.notify(raised);
    await alerter.flush();
    assert.deepEqual(slack.bodies, [
      {
        text: 'spinwise: excessive vCPU spinning on node-3 (critical, ple-rate)',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Excessive vCPU spinning on node-3' } },
          {
            type: 'section',
            fields: [
              { type: 'mrkdwn', text: '*Severity*\ncritical' },
              { type: 'mrkdwn', text: '*Finding*\nple-rate' },
              { type: 'mrkdwn', text: '*VMs*\nvm-7' },
              { type: 'mrkdwn', text: '*Measured*\n1234 (threshold 500)' },
            ],
          },
          { type: 'section', text: { type: 'mrkdwn', text: 'vm-7 takes 1234 PLE exits per vCPU-second' } },
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: '*Recommended (kernel, disrupts: reboot)*: run a kernel with the debooster and strict boost\nPredicted: PLE exits −72 % ± 6, useful guest time +31 % ± 5\nKubeVirt: drain the node, reboot, uncordon',
            },
          },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                text: { type: 'plain_text', text: 'Open node-3' },
                url: 'http://spinwise.local/nodes/node-3',
              },
            ],
          },
        ],
      },
    ]);
    assert.equal(alerter.counters.suppressed, 1, 'the repeat');

    alerter.notify({ ...raised, transition: 'cleared' });
    await alerter.flush();
    assert.deepEqual(slack.bodies[1], {
      text: 'spinwise: vCPU spinning on node-3 is back to normal (ple-rate)',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: ':white_check_mark: *node-3*: ple-rate is back under 500 for vm-7.' },
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open node-3' },
              url: 'http://spinwise.local/nodes/node-3',
            },
          ],
        },
      ],
    });

    slack.statuses.push(500, 500, 500);
    alerter.notify({ ...raised, node: 'node-9', dashboardUrl: 'http://spinwise.local/nodes/node-9' });
    await alerter.flush();
    assert.equal(slack.bodies.length, 5, 'one attempt and two retries');
    assert.deepEqual(alerter.counters, { sent: 2, suppressed: 1, retried: 2, failed: 1 });
    assert.deepEqual(log, [
      'slack: gave up after 3 attempts: HTTP 500 — "spinwise: excessive vCPU spinning on node-9 (critical, ple-rate)"',
    ]);
    assert.ok(!log.join('').includes('SECRETTOKEN'), 'the webhook URL is never logged');
  } finally {
    slack.server.close();
  }
});

it('rate-limits a node that flaps faster than the minimum interval', async () => {
  let now = 0;
  const posted: string[] = [];
  const alerter = new SlackAlerter({
    post: async (m) => void posted.push(m.text),
    minIntervalMs: 60_000,
    now: () => now,
  });
  alerter.notify(raised);
  now = 10_000;
  alerter.notify({ ...raised, transition: 'cleared' });
  now = 20_000;
  alerter.notify(raised);
  now = 90_000;
  alerter.notify({ ...raised, transition: 'cleared' });
  alerter.notify(raised);
  await alerter.flush();
  const raise = 'spinwise: excessive vCPU spinning on node-3 (critical, ple-rate)';
  const clear = 'spinwise: vCPU spinning on node-3 is back to normal (ple-rate)';
  assert.deepEqual(
    posted,
    [raise, clear, raise],
    'the re-raise at 20 s and the clear at 90 s are suppressed',
  );
  assert.equal(
    alerter.counters.suppressed,
    2,
    'the re-raise 10 s after the clear, and the clear of an alert never re-raised',
  );
});
